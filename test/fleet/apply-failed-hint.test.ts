/**
 * QA22's scripted walk: `apply -f` (and `setup --answers`) naming two modules, the second one's
 * archive damaged in the repository. The host name, accounts, key, repository and the first module
 * were done by then, and --json's error listed them in `changed`, but its hint, and the text one,
 * was the package manager's alone: "The file was altered or the mirror is out of date; nothing was
 * installed." An admin reading the log believed the box untouched. Now the hint keeps what to do
 * about the failure and says that the changes made before it stay, and that the same command does
 * the rest once that is fixed; the first module is installed, the damaged one not. With --quiet no
 * change was listed, so the hint does not send the reader to lines above.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { damageArchive, GOOD, run } from '../helpers/pkg.js';

describe('apply that fails part-way, its hint', () => {
  it.each([['--json'], [], ['--quiet']])(
    'says the changes made before the failure stay (%s)',
    async (...flags) => {
      const json = flags.filter((f) => f === '--json');
      const { repo, root, file, repositories } = await applyWorkspace('bp-apply-hint-', [
        GOOD,
        { name: 'other', version: '1.0.0' },
      ]);
      damageArchive(repo, 'other');
      writeFileSync(
        file,
        [
          'hostname: edge-32',
          ...repositories,
          'modules: [{ name: good, state: installed }, { name: other, state: installed }]',
          '',
        ].join('\n'),
      );
      const r = await run(['--root', root, ...flags, 'apply', '-f', file]);
      expect(r.code, r.stderr).toBe(4);
      const said = json.length
        ? (JSON.parse(r.stdout) as { error: { code: string; hint: string; changed: { target: string }[] } })
            .error
        : { hint: /^hint: (.*)$/m.exec(r.stderr)?.[1] ?? '' };
      if (json.length)
        expect((said as { changed: { target: string }[] }).changed.map((c) => c.target)).toContain('good');
      // What to do about the damaged archive is still said, and that the rest stays.
      expect(said.hint).toMatch(/mirror is out of date/);
      expect(said.hint).toMatch(/the \d+ change\(s\) made before it stay/);
      expect(said.hint).toMatch(/the same command does the rest/);
      // Where to read them: the document's changed, the lines above; with --quiet no line was printed.
      if (flags[0] === '--quiet') expect(said.hint).not.toMatch(/listed above/);
      else expect(said.hint).toMatch(json.length ? /the error's "changed"/ : /listed above/);
      const list = JSON.parse((await run(['--root', root, '--json', 'pkg', 'list'])).stdout) as {
        name: string;
      }[];
      expect(list.map((p) => p.name)).toEqual(['good']);
    },
  );
});
