/**
 * The plain messages and warnings of bpkg's commands (not the `hint:` lines, test/cli/hint-root)
 * that name a command to run: after `bpkg --root /mnt/x …` they named it without the --root, so
 * pasting it acted on the live box. search's empty answer ('Add one with `bpkg repo add NAME
 * URL`'), repo add's warning and its 'run `bpkg update`', repo remove's warning, the empty repo
 * and key lists, key remove's warning, remove's 'bpkg autoremove', info's way back for a removed
 * repository, list --upgradable's `bpkg upgrade` (and its warning when that repository is gone),
 * rollback's way back, verify's reinstall: each now
 * carries the --root typed (src/present/root-in-hints.ts, as hints do). The real executable.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_WITH_LIB,
  bpkg,
  GOOD,
  publishSources,
  run,
  signedRepo,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

describe('the commands bpkg’s messages name carry the typed --root', () => {
  it('on a fresh box: search, repo add (no key trusted), repo list, key list', async () => {
    const root = tempDir('bp-msg-root-');
    const cmd = (c: string) => `\`bpkg --root ${root} ${c}\``;
    const search = await bpkg(root, ['search', 'hello']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).toContain(cmd('repo add NAME URL'));
    expect(search.stdout).toContain(cmd('update'));
    // The same through blueprint pkg, with no word (the search command, not the quick path).
    const full = await run(['--root', root, 'pkg', 'search']);
    expect(full.stdout).toContain(cmd('repo add NAME URL'));

    const repos = await bpkg(root, ['repo', 'list']);
    expect(repos.stdout).toContain(cmd('repo add NAME URL --key FPR'));
    const keys = await bpkg(root, ['key', 'list']);
    expect(keys.stdout).toContain(cmd('key add FILE.asc --fingerprint FPR'));

    const { repo } = await signedRepo([GOOD]);
    const add = await bpkg(root, ['repo', 'add', 'demo', repo]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain(cmd('key add FILE --fingerprint FPR'));
    expect(add.stdout).toContain(`run ${cmd('update')}`);
    // update's refusal (its key not trusted): the hint under the repository's line.
    const update = await bpkg(root, ['update']);
    expect(update.code).toBe(4);
    expect(update.stdout + update.stderr).toMatch(new RegExp(`hint: .*\\\`bpkg --root ${root} key add `));
  });

  it('with packages installed: remove, info, repo remove, list --upgradable, rollback, verify, key remove', async () => {
    const { key, repo } = await signedRepo(APP_WITH_LIB);
    const root = await trustingRoot(key, repo);
    const cmd = (c: string) => `\`bpkg --root ${root} ${c}\``;
    expect((await bpkg(root, ['--yes', 'install', 'app'])).code).toBe(0);

    await publishSources(repo, key, [...APP_WITH_LIB, { name: 'app', version: '2.0.0' }]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const upgradable = await bpkg(root, ['list', '--upgradable']);
    expect(upgradable.stdout).toContain(cmd('upgrade'));
    expect((await bpkg(root, ['--yes', 'upgrade'])).code).toBe(0);
    const back = await bpkg(root, ['rollback', 'app']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(cmd('rollback app'));

    const list = path.join(root, 'var/lib/blueprint/pkg/files/app_1.0.0.json');
    const kept = readFileSync(list, 'utf8');
    writeFileSync(list, 'null');
    const verify = await bpkg(root, ['verify', 'app']);
    expect(verify.code).toBe(4);
    expect(verify.stdout).toContain(cmd('install app --reinstall'));
    writeFileSync(list, kept);

    const repoRemove = await bpkg(root, ['repo', 'remove', 'main']);
    expect(repoRemove.code, repoRemove.stderr).toBe(0);
    expect(repoRemove.stderr).toContain(cmd('repo add main URL'));
    expect(repoRemove.stderr).toContain(cmd('install NAME --from REPO'));
    // The package manager's own warning (through the CLI's box): the same commands.
    const upgradableGone = await bpkg(root, ['list', '--upgradable']);
    expect(upgradableGone.stderr).toContain(cmd('repo add main URL'));
    expect(upgradableGone.stderr).toContain(cmd('install app --from REPO'));
    const info = await bpkg(root, ['info', 'app']);
    expect(info.stdout).toContain(cmd('repo add main URL'));
    expect(info.stdout).toContain(cmd('install app --from REPO'));

    const remove = await bpkg(root, ['--yes', 'remove', 'app']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stdout).toContain(cmd('autoremove'));

    await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint]);
    const keyRemove = await bpkg(root, ['key', 'remove', key.fingerprint]);
    expect(keyRemove.code, keyRemove.stderr).toBe(0);
    expect(keyRemove.stderr).toContain(cmd('repo set-key main FPR'));
    expect(keyRemove.stderr).toContain(cmd('repo remove main'));
  });

  it('without a typed --root (BLUEPRINT_ROOT), the messages are as before', async () => {
    const root = tempDir('bp-msg-root-');
    const r = await run(['pkg', 'search', 'hello'], { env: { BLUEPRINT_ROOT: root } });
    expect(r.stdout).toContain('Add one with `bpkg repo add NAME URL`, then run `bpkg update`.');
  });
});
