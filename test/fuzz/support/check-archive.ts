import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { BlueprintError } from '../../../src/core/errors.js';
import { extractPackage, readManifestBytes } from '../../../src/core/pkg/archive.js';
import { type ArchiveCase, manifestEntry } from './archive-arbs.js';
import { tally } from './budget.js';
import { escapesFrom } from './escape.js';
import { type RawEntry, tarBytes } from './tar.js';

/** A seed archive as the corpus spells it in JSON: data as text, a size as a decimal string. */
export type SeedEntry = Omit<RawEntry, 'data' | 'declaredSize'> & { data?: string; declaredSize?: string };

export function fromSeed(entries: SeedEntry[]): RawEntry[] {
  return entries.map(
    (e): RawEntry => ({
      ...e,
      data: e.data === undefined ? undefined : Buffer.from(e.data),
      declaredSize: e.declaredSize === undefined ? undefined : BigInt(e.declaredSize),
    }),
  );
}

const LIMITS = { maxUnpackedBytes: 256 * 1024, maxEntries: 200 };

/** Names the generators use for things that must never appear outside the destination. */
const strays = (dir: string) => {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('fzq'));
  } catch {
    return [];
  }
};

/**
 * The property: extractPackage either refuses with a typed BlueprintError or unpacks only inside
 * its destination - after every run, nothing under dest leads outside dest/payload once links are
 * resolved by the kernel, and nothing appeared next to dest or in the temporary folder.
 * readManifestBytes on the same bytes returns or refuses with a typed error.
 */
export async function checkArchive(c: ArchiveCase): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'bp-fuzz-archive-'));
  const outside = path.join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'sentinel'), 'x');
  const work = path.join(base, 'work');
  mkdirSync(work);
  const dest = path.join(work, 'dest');
  const file = path.join(base, 'pkg.bpkg');
  let bytes = tarBytes(c.manifest ? [manifestEntry, ...c.entries] : c.entries, { gzip: c.gzip });
  if (c.cut !== undefined) bytes = bytes.subarray(0, c.cut % (bytes.length + 1));
  writeFileSync(file, bytes);
  const watched = [os.tmpdir(), '/', '/etc', path.dirname(os.tmpdir())];
  const before = watched.map(strays);
  try {
    let outcome = 'unpacked';
    try {
      const out = await extractPackage(file, dest, LIMITS);
      for (const f of out.files)
        if (f.path.split('/').includes('..') || f.path.startsWith('/')) throw new Error(`record ${f.path}`);
    } catch (err) {
      if (!(err instanceof BlueprintError)) throw err;
      outcome = `refused: ${err.code}: ${err.message}`;
    }
    // A refused archive may leave links in dest that lead out (links are judged once all are on
    // disk); the caller discards dest, so only a success must be clean inside. Nothing may ever
    // be written outside, refused or not.
    // FUZZ_TALLY_FULL=1 counts each refusal reason, to see which checks the generators reach.
    const full = process.env.FUZZ_TALLY_FULL === '1';
    tally(full ? outcome.replace(/\d+/g, 'N').slice(0, 90) : outcome.split(':').slice(0, 2).join(':'));
    const problems = existsSync(dest) && outcome === 'unpacked' ? escapesFrom(dest) : [];
    expect({ outcome, problems }).toEqual({ outcome, problems: [] });
    expect(readdirSync(base).sort()).toEqual(['outside', 'pkg.bpkg', 'work']);
    expect(readdirSync(work)).toEqual(existsSync(dest) ? ['dest'] : []);
    expect(readdirSync(outside)).toEqual(['sentinel']);
    expect(watched.map(strays)).toEqual(before);
    // The manifest-only reader: a Buffer or a typed refusal, nothing else.
    await readManifestBytes(file).catch((err) => {
      if (!(err instanceof BlueprintError)) throw err;
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
