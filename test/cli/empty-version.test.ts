/**
 * `bpkg install foo@` (an empty version, a slip of the keyboard or an unset shell variable in
 * `foo@$VERSION`) meant any version, silently: it is refused now, saying how to ask for one.
 * `bpkg search` with no word is kept listing every package offered (there is no other way to see
 * the catalog: `bpkg list` lists what is installed), and its help now says so.
 * Through the built executable (dist/blueprint, `npm run build` first).
 */
import { describe, expect, it } from 'vitest';
import { bpkg, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('an empty version or search word', () => {
  it('install NAME@ is refused and installs nothing; search with no word lists everything, as its help says', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    const r = await bpkg(root, ['--yes', 'install', 'good@']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('good@ names no version');
    expect(r.stderr).toContain(`bpkg --root ${root} install good@VERSION`);
    const list = await bpkg(root, ['--json', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    // The plain name and an exact version still install.
    expect((await bpkg(root, ['--yes', 'install', 'good@1.0.0'])).code).toBe(0);

    const all = await bpkg(root, ['search']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^good\s+1\.0\.0/m);
    const help = await bpkg(root, ['search', '--help']);
    expect(help.stdout).toContain('Usage: bpkg search [options] [WORD]');
    expect(help.stdout).toContain('With no WORD, every package offered.');
  });
});
