import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { podman, uniqueName } from '../services/helpers.js';

// The whole path of a new module, through the executable on a real Podman: scaffold, lint, build
// into a signed repository (key from `repo keygen`), install, start, GET /health through the
// socket, stop, remove, and nothing left in the engine. Then the scaffold's own test.sh.
const name = uniqueName('bpt-mod');
// node_modules/.bin: the scaffold's build.sh bundles its kit server with esbuild and Node 24.
const env = {
  PATH: `${path.resolve(import.meta.dirname, '../../node_modules/.bin')}:/usr/sbin:/usr/bin:/sbin:/bin`,
};
const work = tempDir('bp-mod-e2e-');
const src = path.join(work, name);
const root = path.join(work, 'root');
let installed = false;

afterAll(async () => {
  if (installed) await bpkg(root, ['--yes', 'remove', name], env);
  await rm(work, { recursive: true, force: true });
});

const json = async (args: string[]) => {
  const r = await run(['--json', ...args], { env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
};

function get(socketPath: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: urlPath }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a scaffolded module on a real Podman', () => {
  it('lints clean, builds signed, installs, answers its health check and is removed without leftovers', async () => {
    expect(await json(['module', 'new', name, '--dir', src])).toMatchObject({ name, dir: src });
    const lint = await json(['module', 'lint', src]);
    expect(lint).toMatchObject({ ok: true, errors: [] });
    expect(lint.loosened.map((l: { field: string }) => l.field)).toEqual(['data']); // the access token's folder

    const key = await json(['repo', 'keygen', '--out', path.join(work, 'key')]);
    const repo = path.join(work, 'repo');
    await json(['repo', 'build', src, '--repo', repo, '--key', path.join(work, 'key/signing-key.asc')]);
    await json([
      '--root',
      root,
      'pkg',
      'key',
      'add',
      path.join(work, 'key/signing-key.pub.asc'),
      '--fingerprint',
      key.fingerprint,
    ]);
    await json(['--root', root, 'pkg', 'repo', 'add', 'test', repo]);
    await json(['--root', root, 'pkg', 'update']);
    await json(['--root', root, '--yes', 'pkg', 'install', name]);
    installed = true;

    expect(await json(['--root', root, 'service', 'start', name])).toMatchObject({ name, healthy: true });
    const socket = path.join(root, 'run/blueprint/services', name, 'api.sock');
    expect(await get(socket, '/health')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(await get(socket, '/')).toEqual({ status: 200, body: `{"hello":"from ${name}"}` });
    const imageId = (await podman('inspect', '--format', '{{.Image}}', `blueprint-${name}`)).trim();

    await json(['--root', root, 'service', 'stop', name]);
    expect(existsSync(socket)).toBe(false);
    await json(['--root', root, '--yes', 'pkg', 'remove', name]);
    installed = false;
    expect(await podman('ps', '-a', '-q', '--filter', `label=org.blueprintos.module=${name}`)).toBe('');
    await expect(podman('image', 'exists', imageId)).rejects.toThrow();
    expect(existsSync(path.join(root, 'opt/blueprint', name, 'current'))).toBe(false);
  });

  it("passes the scaffold's own test.sh (what its CI runs)", async () => {
    const { execFile } = await import('node:child_process');
    const exe = path.resolve(import.meta.dirname, '../../dist/blueprint');
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        'sh',
        [path.join(src, 'test.sh')],
        { env: { ...env, BLUEPRINT: exe } },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`${name}: test passed`);
    expect(await podman('ps', '-a', '-q', '--filter', `label=org.blueprintos.module=${name}`)).toBe('');
  });
});
