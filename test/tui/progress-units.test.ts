/**
 * The console's package progress said sizes in bare bytes ('download hello 375619 bytes') where the
 * dashboard and `bpkg` say them in units ('366.8 KiB', QA8's walk): one formatter now
 * (present/units.ts bytes) for the console's package and system operations, as the dashboard's.
 * Real core, temp root.
 */
import { expect, it } from 'vitest';
import { coreSources } from '../../src/tui/sources.js';
import { signedRepo, trustingRoot } from '../helpers/pkg.js';

it("the console's install progress gives sizes in the dashboard's units", async () => {
  const { key, repo } = await signedRepo([{ name: 'greetdata', version: '1.0.0' }]);
  const root = await trustingRoot(key, repo);
  const lines: string[] = [];
  await coreSources(root).packageAction!(
    'install',
    'greetdata',
    (l) => lines.push(l),
    new AbortController().signal,
  );
  const downloads = lines.filter((l) => l.startsWith('download greetdata'));
  expect(downloads.length, lines.join('\n')).toBeGreaterThan(0);
  for (const l of downloads) expect(l).toMatch(/^download greetdata \d+(\.\d)? (B|KiB|MiB)$/);
});
