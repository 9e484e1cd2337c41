/**
 * Going back a version: `bpkg install` names it a downgrade in the plan before the question
 * ('2.0.0 -> 1.0.0 (downgrade)', planLines) and after it ('installed lib 1.0.0 from main
 * (downgraded from 2.0.0)', installedLine). The console and the web dashboard formatted the same
 * change themselves: the dashboard's plan said only 'lib 2.0.0 -> 1.0.0 from main' and its result
 * 'installed: lib 2.0.0 -> 1.0.0 …', the console's confirmation showed no plan at all (the version
 * asked for, its signer) and its result no installed line. Both now show the CLI's own lines
 * (src/present/install.ts).
 */
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { coreSources } from '../../src/tui/sources.js';
import { appOps } from '../../src/web/app-ops.js';
import { GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';

/**
 * A root with lib 2.0.0 installed, and a repository whose app needs lib below 2: `install app`
 * sends lib back to 1.0.0. The screens install names only (no NAME@VERSION): this is how they meet a
 * downgrade.
 */
async function newerInstalled() {
  const { key, repo } = await signedRepo([
    { name: 'lib', version: '1.0.0' },
    { name: 'lib', version: '2.0.0' },
    { name: 'app', version: '1.0.0', depends: ['lib <2.0.0'] },
  ]);
  const root = await trustingRoot(key, repo);
  await openBox(root, { yes: true }).packages.install(['lib']);
  return root;
}

/** Each front end's calls, as its screen or page makes them: what it shows before the yes, and the install. */
const fronts = {
  'the console': (root: string) => {
    const s = coreSources(root);
    return { before: (name: string) => s.signerOf!(name), install: s.packageAction! };
  },
  'the web dashboard': (root: string) => {
    const ops = appOps(root);
    // The plan the page showed: its form carries its id back (1565136b).
    let plan: string | undefined;
    // The page lays the plan out as a table: its rows read cell after cell.
    const before = async (name: string) => {
      const s = await ops.signerOf(name);
      plan = s.plan;
      return { ...s, planRows: s.planRows?.map((r) => r.join('  ')) };
    };
    const install: typeof ops.packageAction = (action, name, progress, signal) =>
      ops.packageAction(action, name, progress, signal, undefined, plan);
    return { before, install };
  },
};

describe('installing an older version', () => {
  for (const [front, calls] of Object.entries(fronts))
    it(`${front} names the downgrade before the yes and after it, in the CLI's words`, async () => {
      const root = await newerInstalled();
      const c = calls(root);
      const shown = JSON.stringify(await c.before('app'));
      expect(shown).toMatch(/lib\s+2\.0\.0 -> 1\.0\.0 \(downgrade\)\s+main/);
      expect(shown).not.toMatch(/app[^"]*downgrad/);
      const lines: string[] = [];
      await c.install('install', 'app', (l) => lines.push(l), new AbortController().signal);
      // lib is not what was asked for: it comes back as app's dependency (install-dependency-lines).
      expect(lines, lines.join('\n')).toContain(
        'installed lib 1.0.0 from main (downgraded from 2.0.0) (a dependency of app)',
      );
      expect(lines, lines.join('\n')).toContain('installed app 1.0.0 from main');
    });

  for (const [front, calls] of Object.entries(fronts))
    it(`${front} calls an upgrade no downgrade`, async () => {
      const { key, repo } = await signedRepo([GOOD, { ...GOOD, version: '1.1.0' }]);
      const root = await trustingRoot(key, repo);
      await openBox(root, { yes: true }).packages.install(['good@1.0.0']);
      const c = calls(root);
      const shown = JSON.stringify(await c.before('good'));
      expect(shown).toMatch(/good\s+1\.0\.0 -> 1\.1\.0/);
      expect(shown).not.toMatch(/downgrad/);
      const lines: string[] = [];
      await c.install('install', 'good', (l) => lines.push(l), new AbortController().signal);
      expect(lines, lines.join('\n')).toContain('installed good 1.1.0 from main (was 1.0.0)');
    });
});
