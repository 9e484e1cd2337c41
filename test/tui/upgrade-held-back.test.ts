/**
 * The console's `u` (update, then upgrade all) with every newer version held back by what an
 * installed package needs: it showed the upgrade's warning 'greetdata 2.0.0 held back (...)' and
 * then 'everything is up to date'. It now ends as `bpkg upgrade` does: 'Nothing can be upgraded
 * now: 1 package held back (see the warning).' (present/held-back.ts), from what the upgrade
 * itself held back (one look at the upgrades, not a second after it). Real core, temp root.
 */
import { expect, it, vi } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { coreSources } from '../../src/tui/sources.js';
import { bpkg, publishSources, signedRepo, trustingRoot } from '../helpers/pkg.js';

it("the console's upgrade says what was held back, not 'up to date'", async () => {
  const greeter = { name: 'greeter', version: '1.0.0', depends: ['greetdata=1.0.0'] };
  const { key, repo } = await signedRepo([{ name: 'greetdata', version: '1.0.0' }, greeter]);
  const root = await trustingRoot(key, repo);
  expect((await bpkg(root, ['--yes', 'install', 'greeter'])).code).toBe(0);
  await publishSources(repo, key, [
    { name: 'greetdata', version: '1.0.0' },
    { name: 'greetdata', version: '2.0.0' },
    greeter,
  ]);
  const lines: string[] = [];
  // What was held back is told by the upgrade's own look, not a second one after it.
  const looks = vi.spyOn(PackageManager.prototype, 'upgradePlan');
  await coreSources(root).packageAction!(
    'upgrade',
    'all',
    (l) => lines.push(l),
    new AbortController().signal,
  );
  expect(lines).toContain(
    'warning: greetdata 2.0.0 held back (stays at 1.0.0): greeter 1.0.0 needs greetdata=1.0.0 (greetdata 2.0.0 would be current)',
  );
  expect(lines.at(-1)).toBe('Nothing can be upgraded now: 1 package held back (see the warning).');
  expect(lines.join('\n')).not.toContain('up to date');
  expect(looks).toHaveBeenCalledTimes(1);
  looks.mockRestore();
});
