import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lintModule } from '../../src/core/modules/lint.js';
import { parseManifest, requirements } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { apparmorProfile } from '../../src/core/services/apparmor.js';
import { NO_GPU, sandboxPolicy } from '../../src/core/services/policy.js';
import { parseService } from '../../src/core/services/schema.js';
import { meets, readToken, usesOf } from '../../src/core/services/wiring.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';

/** `uses` (issue 17, module wiring): a module's used modules are dependencies like `depends`. */

const base = { name: 'rag', version: '1.0.0', arch: 'all', summary: 'x' };

describe('manifest uses', () => {
  it('takes the depends syntax and is folded into the requirements', () => {
    const m = parseManifest({ ...base, depends: ['kit>=1.0.0'], uses: ['llm>=0.1.0,<1.0.0', 'vectors'] });
    expect(m.uses).toEqual(['llm>=0.1.0,<1.0.0', 'vectors']);
    expect(requirements(m)).toEqual(['kit>=1.0.0', 'llm>=0.1.0,<1.0.0', 'vectors']);
    expect(parseManifest(base).uses).toEqual([]);
  });

  it('refuses itself, a name twice, and what depends would refuse', () => {
    expect(() => parseManifest({ ...base, uses: ['rag'] })).toThrow(/uses\.0: a module cannot use itself/);
    expect(() => parseManifest({ ...base, uses: ['llm', 'llm>=1.0.0'] })).toThrow(/uses\.1: names llm twice/);
    expect(() => parseManifest({ ...base, uses: ['LLM'] })).toThrow(/uses\.0/);
    expect(() => parseManifest({ ...base, uses: ['llm>=2.0.0,<1.0.0'] })).toThrow(/no version can satisfy/);
  });
});

describe('bpkg installs what a module uses', () => {
  let root: string;
  let repo: string;
  beforeAll(async () => {
    const dir = tempDir('bp-wiring-pkg-');
    const key = await makeKey(path.join(dir, 'key'));
    repo = path.join(dir, 'repo');
    const srcs = path.join(dir, 'src');
    await buildRepo(repo, key, [
      makeSource(srcs, { name: 'llm', version: '0.1.0' }),
      makeSource(srcs, { name: 'llm', version: '1.0.0' }),
      makeSource(srcs, { name: 'vectors', version: '0.1.0' }),
      makeSource(srcs, {
        name: 'rag',
        version: '1.0.0',
        manifestExtra: { uses: ['llm>=0.1.0,<1.0.0', 'vectors'] },
      }),
    ]);
    root = await trustingRoot(key, repo);
  });

  it('repo build writes uses into the index entry depends; install brings them in range; remove names the user', async () => {
    const index = JSON.parse(await readFile(path.join(repo, 'index.json'), 'utf8'));
    const entry = index.packages.find((p: { name: string }) => p.name === 'rag');
    expect(entry.depends).toEqual(['llm>=0.1.0,<1.0.0', 'vectors']);

    const pm = new PackageManager({ root });
    await pm.install(['rag']);
    const got = Object.fromEntries((await pm.installed()).map((p) => [p.name, p.version]));
    expect(got).toEqual({ rag: '1.0.0', llm: '0.1.0', vectors: '0.1.0' });
    await expect(pm.remove(['vectors'])).rejects.toThrow(/rag/);
    // An upgrade holds llm back: rag's range admits no 1.x.
    await pm.upgrade();
    expect((await pm.installed()).find((p) => p.name === 'llm')?.version).toBe('0.1.0');
  });
});

describe('module lint checks uses', () => {
  it('names a module in a sibling folder or one the box knows; anything else is an error', async () => {
    const catalog = tempDir('bp-wiring-lint-');
    const write = async (name: string, extra: Record<string, unknown> = {}) => {
      await mkdir(path.join(catalog, name), { recursive: true });
      await writeFile(path.join(catalog, name, 'manifest.json'), JSON.stringify({ ...base, name, ...extra }));
      await writeFile(path.join(catalog, name, 'README.md'), 'x\n');
    };
    await write('llm');
    await write('rag', { uses: ['llm>=0.1.0', 'vectors', 'ghost'] });
    const report = await lintModule(path.join(catalog, 'rag'), { known: ['vectors'] });
    expect(report.errors.map((e) => e.field)).toEqual(['uses[2]']);
    expect(report.errors[0]?.message).toMatch(/^ghost is not a module known here/);
  });
});

describe('sandboxPolicy with uses', () => {
  const policy = (
    service: Record<string, unknown>,
    uses = [] as Parameters<typeof sandboxPolicy>[0]['uses'],
  ) =>
    sandboxPolicy({
      root: '/box',
      name: 'rag',
      version: '1.0.0',
      prefix: '/box/opt/blueprint/rag/1.0.0',
      service: parseService({ image: { id: `sha256:${'a'.repeat(64)}` }, ...service }),
      approvals: { outboundNetwork: false },
      gpu: NO_GPU,
      seccompProfile: '/box/seccomp.json',
      ...(uses ? { uses } : {}),
    });
  const llm = {
    name: 'llm',
    range: '*',
    version: '0.1.0',
    socketDir: '/box/run/blueprint/services/llm',
    target: '/run/blueprint/uses/llm',
    socket: '/run/blueprint/uses/llm/api.sock',
    tokenFile: '/box/run/blueprint/wiring/rag/llm.token',
    tokenTarget: '/run/blueprint/tokens/llm',
  };

  it('mounts exactly the used socket folders and tokens, read-only, and says where; no network', () => {
    const p = policy({}, [llm]);
    expect(p.summary.mounts).toEqual([
      { source: llm.socketDir, target: llm.target, mode: 'ro' },
      { source: llm.tokenFile, target: llm.tokenTarget, mode: 'ro' },
    ]);
    expect(p.spec.env).toMatchObject({
      BLUEPRINT_USES_LLM_SOCKET: llm.socket,
      BLUEPRINT_USES_LLM_TOKEN_FILE: llm.tokenTarget,
    });
    expect(p.spec.netns).toEqual({ nsmode: 'none' });
    expect(policy({}).summary.mounts).toEqual([]);
  });

  it("refuses a module's own folders under /run/blueprint (where another module's socket goes)", () => {
    expect(() => policy({ data: '/run/blueprint/uses/llm' })).toThrow(/kept for the modules a service uses/);
    expect(() =>
      policy({ network: 'loopback-socket', socket: { dir: '/run/blueprint', file: 's' } }),
    ).toThrow(/under \/run\/blueprint/);
  });
});

describe('the access token a user gets is read safely from the folder its provider owns', () => {
  it('a link (to a host secret), a FIFO or an oversized file gives no token; a regular file does', async () => {
    const root = tempDir('bp-wiring-token-');
    const data = (n: string) => path.join(root, 'var/lib/blueprint/modules', n);
    for (const n of ['linked', 'fifo', 'big', 'good']) await mkdir(data(n), { recursive: true });
    await writeFile(path.join(root, 'secret'), 'host secret\n');
    await symlink(path.join(root, 'secret'), path.join(data('linked'), 'access-token'));
    execFileSync('mkfifo', [path.join(data('fifo'), 'access-token')]);
    await writeFile(path.join(data('big'), 'access-token'), 'x'.repeat(5000));
    await writeFile(path.join(data('good'), 'access-token'), 'token-0123456789abcdef\n');
    expect(await readToken(root, 'linked')).toBeUndefined();
    expect(await readToken(root, 'fifo')).toBeUndefined();
    expect(await readToken(root, 'big')).toBeUndefined();
    expect(await readToken(root, 'none')).toBeUndefined();
    expect((await readToken(root, 'good'))?.toString()).toBe('token-0123456789abcdef\n');
  });
});

describe('AppArmor and the sockets a module uses', () => {
  it('allows connect (w) on exactly the used socket paths, and refuses a path that would add rules', () => {
    const input = { name: 'rag', network: 'loopback-socket' as const, writable: ['/run/rag'], devices: [] };
    const text = apparmorProfile({ ...input, sockets: ['/run/blueprint/uses/llm/api.sock'] });
    expect(text).toContain('  /run/blueprint/uses/llm/api.sock w,\n');
    expect(apparmorProfile(input)).not.toContain('/run/blueprint/uses');
    expect(() => apparmorProfile({ ...input, sockets: ['/run/blueprint/uses/*/x, /** w'] })).toThrow(
      /cannot be written into an AppArmor profile/,
    );
  });
});

describe('the services side reads uses without semver', () => {
  it('parses the ranges the schema let in and judges versions as semver does', () => {
    const reg = { uses: ['llm>=0.1.0,<1.0.0', 'vectors', 'kit = 1.2.3'] } as Parameters<typeof usesOf>[0];
    expect(usesOf(reg).map((u) => [u.name, u.range])).toEqual([
      ['llm', '>=0.1.0 <1.0.0'],
      ['vectors', '*'],
      ['kit', '=1.2.3'],
    ]);
    const llm = usesOf(reg)[0]!.comparators;
    expect(['0.1.0', '0.9.9'].map((v) => meets(v, llm))).toEqual([true, true]);
    expect(['0.0.9', '1.0.0', '0.1.0-rc.1'].map((v) => meets(v, llm))).toEqual([false, false, false]);
    expect(meets('1.2.3', ['=1.2.3'])).toBe(true);
    expect(meets('1.2.4', ['=1.2.3'])).toBe(false);
    expect(meets('5.0.0', [])).toBe(true);
    // bpkg installs 1.0.0-rc.10 for >=1.0.0-rc.9 (semver); the start must not refuse it.
    expect(meets('1.0.0-rc.10', ['>=1.0.0-rc.9'])).toBe(true);
    expect(meets('1.0.0-rc.9', ['<1.0.0-rc.10'])).toBe(true);
  });
});
