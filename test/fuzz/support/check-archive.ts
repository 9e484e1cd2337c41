import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { BlueprintError } from '../../../src/core/errors.js';
import { type Extracted, extractPackage, readManifestBytes } from '../../../src/core/pkg/archive.js';
import { dropTempDir, tempDir } from '../../setup/temp-registry.js';
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

/** What the reader recorded must be what is on disk: paths inside, hashes and sizes, link targets. */
function recordProblems(out: Extracted, dest: string): string[] {
  const problems: string[] = [];
  for (const f of out.files) {
    if (f.path.split('/').includes('..') || f.path.startsWith('/')) {
      problems.push(`record ${f.path}`);
      continue;
    }
    const abs = path.join(dest, 'payload', f.path);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) problems.push(`record ${f.path} is not on disk`);
    else if (f.link !== undefined) {
      if (!st.isSymbolicLink() || readlinkSync(abs) !== f.link)
        problems.push(`link ${f.path} differs on disk`);
    } else if (f.dir) {
      if (!st.isDirectory()) problems.push(`dir ${f.path} is not a directory`);
    } else if (!st.isFile()) problems.push(`file ${f.path} is not a file`);
    else {
      const data = readFileSync(abs);
      if (data.length !== f.size || createHash('sha256').update(data).digest('hex') !== f.sha256)
        problems.push(`file ${f.path}: recorded size/hash differ from the bytes on disk`);
    }
  }
  return problems;
}

/**
 * The property: extractPackage either refuses with a typed BlueprintError or unpacks only inside
 * its destination - after every run, nothing under dest leads outside dest/payload once links are
 * resolved by the kernel, and nothing appeared next to dest or in the temporary folder.
 * readManifestBytes on the same bytes refuses with a typed error or returns what extractPackage kept.
 */
export async function checkArchive(c: ArchiveCase): Promise<void> {
  const base = tempDir('bp-fuzz-archive-');
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
    let out: Extracted | undefined;
    try {
      out = await extractPackage(file, dest, LIMITS);
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
    if (out) expect(recordProblems(out, dest)).toEqual([]);
    // The manifest-only reader (a local package is planned from it, then unpacked by the other):
    // a Buffer or a typed refusal, and the same bytes the full reader kept when that one succeeded.
    const manifest = await readManifestBytes(file).catch((err) => {
      if (!(err instanceof BlueprintError)) throw err;
      return undefined;
    });
    // (A refusal by one of them is safe; two different manifests accepted from one file are not.)
    if (out && manifest) expect(manifest.toString('latin1')).toEqual(out.manifestBytes.toString('latin1'));
  } finally {
    dropTempDir(base); // one a case: now, not after the file
  }
}
