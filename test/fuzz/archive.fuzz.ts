import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import {
  type ArchiveCase,
  deepChain,
  hostileEntry,
  linkProgram,
  manifestTricks,
  mutated,
} from './support/archive-arbs.js';
import { corpusJson, fuzzParams, summary } from './support/budget.js';
import { checkArchive, fromSeed, type SeedEntry } from './support/check-archive.js';
import type { RawEntry } from './support/tar.js';

/**
 * Target: the package archive reader (extractPackage, readManifestBytes) on hostile archives: random
 * headers and paths, link chains (finding 1's shape down to depth 60), hard links, devices, lying
 * sizes, truncation. See support/check-archive.ts for the property.
 */
const seeds = corpusJson<{ entries: SeedEntry[] }>('archive').map((s) => fromSeed(s.entries));

const archiveCase = (entries: fc.Arbitrary<RawEntry[]>) =>
  fc.record(
    {
      entries,
      manifest: fc.oneof(
        { weight: 7, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      gzip: fc.boolean(),
      // A truncated download now and then; most runs should reach the entries' content.
      cut: fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() }),
    },
    { requiredKeys: ['entries', 'manifest', 'gzip', 'cut'] },
  );

const anyArchive = fc.oneof(
  { weight: 3, arbitrary: archiveCase(linkProgram) },
  { weight: 2, arbitrary: archiveCase(deepChain) },
  { weight: 2, arbitrary: archiveCase(fc.array(hostileEntry, { maxLength: 8 })) },
  // Half of these have no plain manifest.json, so that the trick is the only one.
  {
    weight: 1,
    arbitrary: fc.record({ entries: manifestTricks, manifest: fc.boolean(), gzip: fc.boolean() }),
  },
  ...(seeds.length ? [{ weight: 2, arbitrary: archiveCase(mutated(seeds)) }] : []),
);

describe('fuzz: package archive reader', () => {
  afterAll(() => console.log(summary('archive')));
  it('refuses with a typed error or unpacks only inside the destination', async () => {
    const examples = seeds.map((entries): ArchiveCase => ({ entries, manifest: true, gzip: true }));
    await fc.assert(
      fc.asyncProperty(anyArchive, checkArchive),
      fuzzParams<[ArchiveCase]>(examples.map((e) => [e])),
    );
  });
});
