/**
 * The console's `u` and the dashboard's upgrade fetch the indexes first (`bpkg update && bpkg
 * upgrade`), but never said how that went: a repository whose index was refused (or whose every
 * mirror was down) read as 'everything is up to date'. Now each front end says what `bpkg update`
 * says of a repository it could not update, mirrors and hint included (present/update-outcome.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreSources } from '../../src/tui/sources.js';
import { GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { webUpgrade } from '../web/web-upgrade.js';

/** The upgrade action of each front end, as its screen or page calls it. */
const fronts = {
  'the console': (root: string) => coreSources(root).packageAction!,
  'the web dashboard': webUpgrade,
};

describe('an upgrade whose update was refused', () => {
  for (const [front, action] of Object.entries(fronts))
    it(`${front} says which repository was not updated, and why`, async () => {
      const { key, repo } = await signedRepo([GOOD]);
      const root = await trustingRoot(key, repo);
      // The repository now serves an index whose signature is garbage.
      rmSync(path.join(repo, 'by-hash'), { recursive: true, force: true });
      writeFileSync(path.join(repo, 'index.json.asc'), 'garbage');
      const lines: string[] = [];
      await action(root)('upgrade', '', (l) => lines.push(l), new AbortController().signal);
      const text = lines.join('\n');
      expect(text).toMatch(/^main: REFUSED: /m);
      expect(text).toMatch(/^ {2}hint: /m);
    });
});
