/**
 * Before the admin says yes, the console and the web dashboard name the modules a package can be
 * wired to, with their access tokens, as `bpkg install` asks it (0c32e71, src/app/plan-reach.ts).
 * Before, the two front ends showed the version and the signer only.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreSources } from '../../src/tui/sources.js';
import { appOps } from '../../src/web/app-ops.js';
import { makeKey, publishSources, tempDir, trustingRoot } from '../helpers/pkg.js';

/** A box trusting a repository where `consumer` depends on `provider` (both new to the box). */
async function box() {
  const key = await makeKey(path.join(tempDir(), 'key'));
  const repo = path.join(tempDir(), 'repo');
  await publishSources(repo, key, [
    { name: 'provider', version: '1.0.0' },
    { name: 'consumer', version: '1.0.0', depends: ['provider>=1.0.0'] },
  ]);
  return trustingRoot(key, repo);
}
const said =
  'consumer can reach provider through their sockets (of those it declares in uses), with its own token';

describe('the install confirmation of a package that can reach other modules', () => {
  it('names them in the console', async () => {
    const s = await coreSources(await box()).signerOf!('consumer');
    expect(
      s.plan?.some((l) => l.startsWith(said)),
      JSON.stringify(s),
    ).toBe(true);
  });

  it('and on the web dashboard', async () => {
    const s = await appOps(await box()).signerOf('consumer');
    expect(
      s.changes?.some((l) => l.startsWith(said)),
      JSON.stringify(s),
    ).toBe(true);
  });
});
