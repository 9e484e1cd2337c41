import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * The mtime every entry of a package gets: SOURCE_DATE_EPOCH when set (the reproducible-builds.org
 * convention Debian's tools follow), else 0. Not the source's own mtimes, nor its manifest's: git
 * keeps none, so two checkouts of one commit differ there, and the payload is copied for the build
 * (a new mtime each time). Boxes lose nothing: the unpacker gives files the time they are installed.
 */
export function packageMtime(env: NodeJS.ProcessEnv = process.env): Date {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return new Date(0);
  if (!/^\d{1,12}$/.test(raw))
    throw new UsageError(
      `SOURCE_DATE_EPOCH is ${JSON.stringify(raw.slice(0, 40))}, not a number of seconds since 1970`,
      'Set it to a whole number of seconds (git log -1 --format=%ct gives the last commit’s), or unset it.',
    );
  return new Date(Number(raw) * 1000);
}

/** The paths under `dir` (relative, a folder before what it holds), each folder's names sorted. */
async function sortedTree(dir: string, rel: string): Promise<string[]> {
  const out = [rel];
  const names = (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of names) {
    const child = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await sortedTree(dir, child)));
    else out.push(child);
  }
  return out;
}

/**
 * Writes `work`'s manifest.json and payload/ as the gzip tar `file`, the same bytes for the same
 * contents: manifest.json first, then payload/ in sorted order (not the order the disk lists), one
 * mtime (packageMtime), no owner, atime, ctime (portable), no mtime and OS byte in the gzip header
 * (zlib writes 0 there, tar's portable mode 255 for the OS).
 */
export async function packReproducible(work: string, file: string): Promise<void> {
  const mtime = packageMtime();
  const entries = ['manifest.json', ...(await sortedTree(work, 'payload'))];
  // tar loads here, not with src/core/pkg/index.ts: reading indexes (bpkg search) never needs it.
  const { create: createTar } = await import('tar');
  await createTar(
    { gzip: { level: 6 }, file, cwd: work, portable: true, noDirRecurse: true, mtime },
    entries,
  );
}
