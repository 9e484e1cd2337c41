// Issue 11, finding 4: any trusted key could sign any repository, and the index's `repository`
// was never checked. Each repository is now bound to the key(s) trusted for it (apt's Signed-By)
// and pinned to the repository name its index carries.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { signFile } from '../../src/core/pkg/build.js';
import { announceKeyRotation, buildRepository, PackageManager } from '../../src/core/pkg/index.js';
import { makeKey, makeSource, type TestKey, tempDir } from '../helpers/pkg.js';

let keyA: TestKey;
let keyB: TestKey;
beforeAll(async () => {
  const dir = tempDir();
  [keyA, keyB] = await Promise.all([
    makeKey(path.join(dir, 'a'), { name: 'Repository A' }),
    makeKey(path.join(dir, 'b'), { name: 'Repository B' }),
  ]);
});

/** Builds (or rebuilds, raising the index version) a repository named `name` signed by `key`. */
async function publish(repoDir: string, name: string, key: TestKey, pkgs: Array<[string, string]>) {
  const src = tempDir('bp-src-');
  return buildRepository({
    sources: pkgs.map(([n, v]) => makeSource(src, { name: n, version: v })),
    repoDir,
    name,
    signer: { keyFile: key.privateFile },
  });
}

const copyIndex = (from: string, to: string) => {
  for (const f of ['index.json', 'index.json.asc']) copyFileSync(path.join(from, f), path.join(to, f));
};

async function refusal(p: Promise<unknown>): Promise<BlueprintError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'operation should have been refused').toBeInstanceOf(BlueprintError);
  return err as BlueprintError;
}

/** A box trusting both keys, with repository a (key A) and b (key B), both fetched once. */
async function twoRepoBox() {
  const base = tempDir();
  const repoA = path.join(base, 'a');
  const repoB = path.join(base, 'b');
  await publish(repoA, 'a', keyA, [['alpha', '1.0.0']]);
  await publish(repoB, 'b', keyB, [['beta', '1.0.0']]);
  // B's index version runs ahead of A's: accepted at A's URL, it would make A's real index a "rollback".
  await publish(repoB, 'b', keyB, []);
  await publish(repoB, 'b', keyB, []);
  const root = tempDir('bp-root-');
  const pm = new PackageManager({ root });
  await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
  await pm.keyring.add(keyB.publicKey, keyB.fingerprint);
  await pm.repos.add('a', repoA, { keys: [keyA.fingerprint] });
  await pm.repos.add('b', repoB, { keys: [keyB.fingerprint] });
  const outcomes = await pm.update();
  expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
  return { root, repoA, repoB, pm };
}

describe('finding 4: a repository accepts only its own key(s)', () => {
  it("B's signed index served at A's URL is refused, and A's real update still works", async () => {
    const { root, repoA, repoB } = await twoRepoBox();
    const realA = tempDir();
    copyIndex(repoA, realA);
    copyIndex(repoB, repoA); // the mirror of A now serves B's genuine, signed index
    const pm = new PackageManager({ root });
    const [a, b] = await pm.update();
    expect(a).toMatchObject({ repo: 'a', ok: false, error: { code: 'wrong-repository-key' } });
    expect(a?.error?.message).toMatch(/not a key trusted for repository a/);
    expect(a?.error?.hint).toMatch(/bpkg repo set-key a/);
    expect(b).toMatchObject({ repo: 'b', ok: true });
    expect((await pm.search('')).map((h) => `${h.name}@${h.repo}`).sort()).toEqual(['alpha@a', 'beta@b']);
    // No lockout: the next genuine index of A is accepted.
    copyIndex(realA, repoA);
    await publish(repoA, 'a', keyA, [['alpha', '1.1.0']]);
    const [again] = await pm.update();
    expect(again).toMatchObject({ repo: 'a', ok: true, changed: true });
    await pm.install(['alpha']);
    expect((await pm.installed())[0]).toMatchObject({
      name: 'alpha',
      version: '1.1.0',
      signer: keyA.fingerprint,
    });
  });

  it("a package in A signed with B's (trusted) key is refused", async () => {
    const { root, repoA } = await twoRepoBox();
    const pkg = path.join(repoA, 'pool/alpha/alpha_1.0.0_all.bpkg');
    await signFile(pkg, { keyFile: keyB.privateFile });
    const pm = new PackageManager({ root });
    const err = await refusal(pm.install(['alpha']));
    expect(err.code).toBe('wrong-repository-key');
    expect(await pm.installed()).toEqual([]);
  });

  it("a key rotation notice for A signed by B's key is refused and trusts nothing new", async () => {
    const { root, repoA } = await twoRepoBox();
    const evil = await makeKey(path.join(tempDir(), 'evil'));
    await announceKeyRotation(repoA, evil.publicKey, evil.fingerprint, { keyFile: keyB.privateFile });
    const pm = new PackageManager({ root });
    const [a] = await pm.update();
    expect(a).toMatchObject({ ok: false, error: { code: 'wrong-repository-key' } });
    expect((await pm.keyring.list()).map((k) => k.fingerprint).sort()).toEqual(
      [keyA.fingerprint, keyB.fingerprint].sort(),
    );
  });

  it('a genuine rotation binds the new key to that repository only', async () => {
    const { root, repoA } = await twoRepoBox();
    const next = await makeKey(path.join(tempDir(), 'next'));
    await announceKeyRotation(repoA, next.publicKey, next.fingerprint, { keyFile: keyA.privateFile });
    await publish(repoA, 'a', next, [['alpha', '2.0.0']]);
    const pm = new PackageManager({ root });
    const [a] = await pm.update();
    expect(a).toMatchObject({ ok: true, rotatedKey: next.fingerprint });
    const repos = await pm.repos.list();
    expect(repos.find((r) => r.name === 'a')?.keys?.sort()).toEqual(
      [keyA.fingerprint, next.fingerprint].sort(),
    );
    expect(repos.find((r) => r.name === 'b')?.keys).toEqual([keyB.fingerprint]);
  });
});

describe("finding 4: the index's repository name is checked", () => {
  it('an index of another repository signed by the same key is refused once the name is known', async () => {
    const base = tempDir();
    const main = path.join(base, 'main');
    const extras = path.join(base, 'extras');
    await publish(main, 'main', keyA, [['alpha', '1.0.0']]);
    for (let i = 0; i < 3; i++) await publish(extras, 'extras', keyA, [['evil', '1.0.0']]);
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
    await pm.repos.add('official', main, { keys: [keyA.fingerprint] });
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    expect((await pm.repos.list())[0]).toMatchObject({ name: 'official', repository: 'main' });
    const realMain = tempDir();
    copyIndex(main, realMain);
    copyIndex(extras, main);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'repository-mismatch' } });
    expect(o?.error?.message).toMatch(/"extras"/);
    expect((await pm.search('')).map((h) => h.name)).toEqual(['alpha']);
    copyIndex(realMain, main);
    await publish(main, 'main', keyA, [['alpha', '1.1.0']]);
    expect((await pm.update())[0]).toMatchObject({ ok: true, changed: true });
  });

  it('an explicit --repository name is enforced from the first update', async () => {
    const base = tempDir();
    const extras = path.join(base, 'extras');
    await publish(extras, 'extras', keyA, [['evil', '1.0.0']]);
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
    await pm.repos.add('main', extras, { keys: [keyA.fingerprint], repository: 'main' });
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'repository-mismatch' } });
    expect(await pm.search('')).toEqual([]);
  });
});

describe('finding 4: binding keys, and the migration of repositories added before', () => {
  it('repo add refuses a key that is not trusted', async () => {
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    await pm.keyring.add(keyA.publicKey, keyA.fingerprint);
    const err = await refusal(pm.repos.add('b', tempDir(), { keys: [keyB.fingerprint] }));
    expect(err.code).toBe('key-not-trusted');
    expect(err.hint).toMatch(/bpkg key add/);
    expect(await pm.repos.list()).toEqual([]);
  });

  /** A box trusting `keys` whose repository `old` (signed by keyA) was added before keys were bound. */
  async function oldConfiguration(keys: TestKey[]): Promise<PackageManager> {
    const repo = path.join(tempDir(), 'repo');
    await publish(repo, 'repo', keyA, [['alpha', '1.0.0']]);
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    for (const k of keys) await pm.keyring.add(k.publicKey, k.fingerprint);
    mkdirSync(pm.paths.reposDir, { recursive: true });
    writeFileSync(
      path.join(pm.paths.reposDir, 'old.json'),
      JSON.stringify({ name: 'old', url: `file://${repo}` }),
    );
    return pm;
  }

  it('an old configuration with no key is bound at update when exactly one key is trusted', async () => {
    const pm = await oldConfiguration([keyA]);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: true, boundKey: keyA.fingerprint });
    expect((await pm.repos.list())[0]).toMatchObject({ keys: [keyA.fingerprint], repository: 'repo' });
  });

  it('an old configuration is not bound to the only trusted key when that key is bound to another repository', async () => {
    // The dashboard's "Add a repository…" trusts a key "for repository NAME only": it must not then
    // sign an old unbound repository (its own key removed) because it is the only key left.
    const pm = await oldConfiguration([keyA]);
    await pm.repos.add('new', tempDir(), { keys: [keyA.fingerprint] });
    const o = (await pm.update()).find((x) => x.repo === 'old');
    expect(o).toMatchObject({ ok: false, error: { code: 'repo-key-unbound' } });
    expect(o?.error?.message).toMatch(/trusted for repository new only/);
    expect(o?.error?.hint).toMatch(/bpkg repo set-key old FPR/);
    expect((await pm.repos.list()).find((r) => r.name === 'old')?.keys).toBeUndefined();
    expect(await pm.search('alpha')).toEqual([]);
  });

  it('an old configuration with no key is refused when several keys are trusted, until set-key', async () => {
    const pm = await oldConfiguration([keyA, keyB]);
    const [o] = await pm.update();
    expect(o).toMatchObject({ ok: false, error: { code: 'repo-key-unbound' } });
    expect(o?.error?.hint).toMatch(/bpkg repo set-key old FPR/);
    expect(await pm.search('')).toEqual([]);
    await pm.repos.setKeys('old', [keyA.fingerprint]);
    expect((await pm.update())[0]).toMatchObject({ ok: true });
    const saved = JSON.parse(readFileSync(path.join(pm.paths.reposDir, 'old.json'), 'utf8'));
    expect(saved).toMatchObject({ keys: [keyA.fingerprint] });
  });
});

describe('finding 4: setup binds each repository to the key pinned beside it', () => {
  it('an appliance file with two repositories and two keys installs from both', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { pathToFileURL } = await import('node:url');
    const { applyPlan, loadSpecFile, planSetup } = await import('../../src/core/setup/index.js');
    const { moduleOpsFor } = await import('../helpers/box.js');
    const work = tempDir();
    const repoA = path.join(work, 'a');
    const repoB = path.join(work, 'b');
    await publish(repoA, 'a', keyA, [['alpha', '1.0.0']]);
    await publish(repoB, 'b', keyB, [['beta', '1.0.0']]);
    const file = path.join(work, 'appliance.yaml');
    await writeFile(
      file,
      [
        'hostname: box-04',
        'repositories:',
        `  - { name: a, url: "${pathToFileURL(repoA).href}", key: ${keyA.publicFile}, fingerprint: "${keyA.fingerprint.toUpperCase()}" }`,
        `  - { name: b, url: "${pathToFileURL(repoB).href}", key: ${keyB.publicFile}, fingerprint: "${keyB.fingerprint.toUpperCase()}" }`,
        'modules: [{ name: alpha, state: installed }, { name: beta, state: installed }]',
      ].join('\n'),
    );
    const root = tempDir('bp-root-');
    const loaded = await loadSpecFile(file);
    const ops = await moduleOpsFor(root);
    await applyPlan(await planSetup(root, loaded.spec, loaded.repositories, ops), { ops });
    const pm = new PackageManager({ root });
    expect((await pm.installed()).map((p) => `${p.name}@${p.origin}:${p.signer}`)).toEqual([
      `alpha@a:${keyA.fingerprint}`,
      `beta@b:${keyB.fingerprint}`,
    ]);
    expect((await pm.repos.list()).map((r) => r.keys)).toEqual([[keyA.fingerprint], [keyB.fingerprint]]);
  });
});

describe('finding 4: the bpkg commands', () => {
  it('repo add --key, a refused foreign index with its hint, repo list and repo set-key', async () => {
    const { bpkg } = await import('../helpers/pkg.js');
    const base = tempDir();
    const repoA = path.join(base, 'a');
    const repoB = path.join(base, 'b');
    await publish(repoA, 'a', keyA, [['alpha', '1.0.0']]);
    await publish(repoB, 'b', keyB, [['beta', '1.0.0']]);
    await publish(repoB, 'b', keyB, []);
    const root = tempDir('bp-root-');
    for (const k of [keyA, keyB])
      expect((await bpkg(root, ['key', 'add', k.publicFile, '--fingerprint', k.fingerprint])).code).toBe(0);
    expect(
      (await bpkg(root, ['repo', 'add', 'a', repoA, '--key', keyA.fingerprint.toUpperCase()])).code,
    ).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'b', repoB, '--key', keyB.fingerprint])).code).toBe(0);
    const partial = await bpkg(root, ['repo', 'add', 'c', repoA, '--key', keyA.fingerprint.slice(-16)]);
    expect(partial.code).toBe(2);
    const stranger = await makeKey(path.join(base, 'stranger'));
    const unknown = await bpkg(root, ['repo', 'add', 'c', repoA, '--key', stranger.fingerprint]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(`\`bpkg --root ${root} key add FILE --fingerprint `);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    copyIndex(repoB, repoA);
    const up = await bpkg(root, ['update']);
    expect(up.code).toBe(4);
    expect(up.stdout).toMatch(/a: REFUSED: .*not a key trusted for repository a/);
    // The command in backticks, with the --root typed (c51bb3d): pasted, it acts on this box.
    expect(up.stdout).toContain(`\`bpkg --root ${root} repo set-key a `);
    const list = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout);
    expect(list.map((r: { name: string; keys: string[] }) => [r.name, r.keys])).toEqual([
      ['a', [keyA.fingerprint]],
      ['b', [keyB.fingerprint]],
    ]);
    expect((await bpkg(root, ['repo', 'list'])).stdout).toMatch(/SIGNED BY/);
    const set = await bpkg(root, ['repo', 'set-key', 'a', keyA.fingerprint, keyB.fingerprint]);
    expect(set.code, set.stderr).toBe(0);
    const after = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout);
    expect(after[0].keys).toEqual([keyA.fingerprint, keyB.fingerprint]);
  });
});
