// vi.mock calls are hoisted above the imports: every module below sees the wrapped fs.
/**
 * Issue 11, finding 2: an untrusted package file is read once. A hostile USB stick or NFS server
 * needs no race to beat a verify-then-read-again design: it can serve different bytes on each open.
 * This file simulates exactly that. Every way the code under test can open a file in this process
 * (node:fs and node:fs/promises) is wrapped: the first open of the hostile path is served the
 * signed package, every later open the unsigned one (which is also what a plain stat or read of
 * the path sees). Signature hashing normally runs on a worker thread whose opens cannot be
 * wrapped, so the digest worker is switched off here; the signature is then checked on this
 * thread, by the same code, through the wrapped opens.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { whileHostile } from '../helpers/hostile-fs.js';
import { buildTool, SIGNED, toolOnStick, trustingManager, UNSIGNED } from '../helpers/hostile-stick.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

vi.mock('node:fs', async (real) => (await import('../helpers/hostile-fs.js')).wrapFs(await real()));
vi.mock('node:fs/promises', async (real) =>
  (await import('../helpers/hostile-fs.js')).wrapFsPromises(await real()),
);

vi.mock('../../src/core/pkg/file-digest.js', () => ({
  canDigest: () => false,
  digestFile: () => Promise.reject(new Error('the digest worker is off in this test')),
}));

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

/** Safe outcomes only: refused with nothing installed, or the signed bytes installed. */
function expectOnlySignedBytes(root: string, outcome: { error?: unknown }) {
  const readme = path.join(root, 'opt/blueprint/tool/current/share/README');
  if (outcome.error !== undefined) {
    expect(outcome.error).toBeInstanceOf(BlueprintError);
    expect(existsSync(readme)).toBe(false);
  } else {
    expect(readFileSync(readme, 'utf8')).toBe(SIGNED);
  }
}

describe('an untrusted package file is read once (finding 2)', () => {
  it('a local .bpkg that serves different bytes on each open installs only what was verified', async () => {
    const { file, good } = await toolOnStick(key, 'evil');
    const { root, pm } = await trustingManager(key);

    const outcome = await whileHostile(file, good, () => pm.install([file]));

    expectOnlySignedBytes(root, outcome);
    expect(outcome.error, String(outcome.error)).toBeUndefined();
    expect((await pm.installed())[0]).toMatchObject({
      name: 'tool',
      origin: 'file',
      signer: key.fingerprint,
    });
    expect((await pm.verify('tool'))[0]?.ok).toBe(true);
    expect(outcome.opens, 'the untrusted file must be opened exactly once').toBe(1);
    // The private copy it was read into is gone once the install is over.
    expect(readdirSync(path.join(root, 'var/cache/blueprint/packages'))).toEqual([]);
  });

  it('a dry-run plan of a hostile local .bpkg also opens it once and leaves no copy behind', async () => {
    const { file, good } = await toolOnStick(key, 'good');
    const { root, pm } = await trustingManager(key);

    const outcome = await whileHostile(file, good, () => pm.plan([file]));

    expect(outcome.error, String(outcome.error)).toBeUndefined();
    expect(outcome.opens).toBe(1);
    const cache = path.join(root, 'var/cache/blueprint/packages');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('copies left by a process that died are removed by the next operation, live ones are kept', async () => {
    const root = tempDir('bp-root-');
    const cache = path.join(root, 'var/cache/blueprint/packages');
    mkdirSync(cache, { recursive: true });
    const uuid = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const dead = `.local-2147483646-${uuid}.bpkg`; // above any pid_max: no such process
    // Another live process's (the test runner's parent): one of this process's own pid that it is
    // not using is an earlier process's, removed (private-copy-pid-reused).
    const live = `.local-${process.ppid}-${uuid}.bpkg`;
    const other = 'tool_1.0.0_all.bpkg';
    for (const f of [dead, live, other]) writeFileSync(path.join(cache, f), 'x');
    await new PackageManager({ root }).recover();
    expect(readdirSync(cache).sort()).toEqual([live, other].sort());
  });

  it('a package in a folder repository that changes between opens is never installed as signed', async () => {
    // The publisher's signed package, then a pool whose index lists the unsigned build (e.g. a
    // stale or tampered index on the same stick) while the pool file serves the signed build first.
    const base = tempDir();
    const repo = path.join(base, 'repo');
    await buildRepo(repo, key, [
      makeSource(path.join(base, 'src'), {
        name: 'tool',
        version: '1.0.0',
        files: { 'share/README': SIGNED },
      }),
    ]);
    const pooled = path.join(repo, 'pool/tool/tool_1.0.0_all.bpkg');
    const good = path.join(base, 'good.bpkg');
    copyFileSync(pooled, good);
    copyFileSync(await buildTool(UNSIGNED), pooled);
    await buildRepo(repo, key, []); // re-indexes the pool; the package's .asc still signs the good bytes
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root });

    const outcome = await whileHostile(pooled, good, () => pm.install(['tool']));

    expectOnlySignedBytes(root, outcome);
    if (outcome.error === undefined)
      expect((await pm.installed())[0]).toMatchObject({ name: 'tool', signer: key.fingerprint });
    expect(outcome.opens, 'the untrusted file must be opened exactly once').toBe(1);
  });

  it('the wrapper really serves different bytes on each open (the test can fail)', async () => {
    const a = path.join(tempDir(), 'a');
    const b = path.join(tempDir(), 'b');
    writeFileSync(a, 'first');
    writeFileSync(b, 'later');
    const { readFile } = await import('node:fs/promises');
    const seen = await whileHostile(b, a, async () => [await readFile(b, 'utf8'), await readFile(b, 'utf8')]);
    expect(seen).toMatchObject({ value: ['first', 'later'], opens: 2 });
  });
});
