/**
 * Removals a script can run twice, and the next step when a folder repository is not there.
 * `bpkg repo remove X` of a repository not configured exited 3 while `bpkg remove P` of a package
 * not installed exits 0 (apt's habit, Ansible's `state: absent`): now both say "not there, nothing
 * to do" and exit 0 (--json `changed: false`). A folder repository whose folder is gone (a stick not
 * mounted) was hinted "Check the repository path.": now the hint names the folder and the commands,
 * with the --root typed. The real executable.
 */
import { renameSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('repo remove of a repository not there; a folder repository gone', () => {
  it('repo remove twice: exit 0 both times, the second "not there, nothing to do"', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const first = await bpkg(root, ['--json', 'repo', 'remove', 'main']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ removed: 'main', changed: true });
    const again = await bpkg(root, ['repo', 'remove', 'main']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/main is not there, nothing to do/);
    const json = await bpkg(root, ['--json', 'repo', 'remove', 'main']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ removed: null, notConfigured: 'main', changed: false });
    // A name no repository can have is still bad usage, as `bpkg remove ../x`.
    expect((await bpkg(root, ['repo', 'remove', '../x'])).code).toBe(2);
  });

  it("a folder repository's folder gone: the hint names it and the commands, with --root", async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    renameSync(repo, `${repo}.away`);
    const r = await bpkg(root, ['update']);
    expect(r.code).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).not.toContain('Check the repository path.');
    expect(text).toContain(repo);
    expect(text).toContain(`\`bpkg --root ${root} repo remove main\``);
    // The key the repository is bound to, not a placeholder: the commands paste as they are.
    expect(text.toUpperCase()).toContain(
      `\`BPKG --ROOT ${root.toUpperCase()} REPO ADD MAIN NEW-PATH --KEY ${key.fingerprint.toUpperCase()}\``,
    );
    expect(text).toMatch(/is not there \(a stick or disk not mounted\?\)/);
  });
});
