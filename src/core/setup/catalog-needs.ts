import { createHash } from 'node:crypto';
import { close as closeFd, createReadStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { VerificationError } from '../errors.js';
import type { Signer } from '../pkg/build.js';
import { type IndexEntry, parseIndex, parseJsonBytes, parseManifest, parseWith } from '../pkg/format.js';
import { readPublicKeys, verifyDetached } from '../pkg/signature.js';
import { parseService } from '../services/schema.js';
import { resolveInside } from '../system/beneath.js';
import { writeFileAtomic } from '../system/fs.js';
import { changedWhileReading, openRegular, readBoundedFile } from '../system/read-bounded.js';

/**
 * What each package of the offline catalog needs (memory, disk, GPU...), written when the catalog
 * is built (`repo build --catalog-needs`) and signed by the catalog's key like its index, so that
 * listing the catalog reads no package archive: the image's are 213 MB, minutes to hash and unpack
 * under emulation (issue 18). Each record names the archive's SHA-256 from the signed index, so a
 * record only ever describes that exact archive; the archive itself is verified at install.
 */
export const NEEDS_FILE = 'needs.json';

const MAX_NEEDS_BYTES = 4 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

const text = z
  .string()
  .max(300)
  .refine((v) => !/[\p{Cc}]/u.test(v), 'has control characters');
const count = z.number().int().nonnegative();
const needsSchema = z.strictObject({
  format: z.literal(1),
  packages: z
    .array(
      z.strictObject({
        name: text,
        version: text,
        arch: text,
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        installedBytes: count,
        imageBytes: count,
        memoryBytes: count,
        gpu: z.enum(['none', 'optional', 'required']),
        outbound: z.array(text).max(64),
        serves: z.array(text).max(64),
      }),
    )
    .max(10_000),
});
export type PackageNeeds = z.infer<typeof needsSchema>['packages'][number];

/** The catalog's files come with the image: one that is not as built means the image is broken. */
const IMAGE_HINT = 'The image is broken: rebuild it (scripts/build-image.sh).';

/**
 * Bytes of a catalog file read once (read-bounded.ts): refused past `max`, and refused when it is
 * not a plain file at its name. Setup reads the catalog as root from whatever tree --root names,
 * and the image build makes none of its files a link: a link at a name could lead out of the root
 * (to /etc/shadow), a FIFO would be waited on for good. A missing file is thrown as open(2) said
 * (ENOENT: needs.json may be absent).
 */
export async function readBounded(
  file: string,
  max: number,
  what: string,
  hint = IMAGE_HINT,
): Promise<Buffer> {
  const r = await readBoundedFile(file, max);
  if (r.ok) return r.bytes;
  if (r.why === 'open') {
    if (r.error.code !== 'ELOOP') throw r.error;
    throw new VerificationError(`${what} (${file}) is a link, not followed`, 'unsafe-link', hint);
  }
  if (r.why === 'too-large')
    throw new VerificationError(`${what} is ${r.stat.size} bytes, more than ${max}`, 'catalog-too-big', hint);
  if (r.why === 'grew') throw changedWhileReading(what, 'Run the command again.');
  throw new VerificationError(`${what} (${file}) is not a regular file`, 'not-a-file', hint);
}

/**
 * One pass over a package file, through `fd` (closed at the end), at most `expected` + 1 bytes: its
 * SHA-256, size, what its entries take unpacked, and its manifest.
 */
async function scanPackage(
  fd: number,
  file: string,
  expected: number,
): Promise<{
  sha256: string;
  size: number;
  installed: number;
  entries: Map<string, number>;
  manifest: Buffer;
}> {
  const hash = createHash('sha256');
  let size = 0;
  let installed = 0;
  const entries = new Map<string, number>();
  const manifest: Buffer[] = [];
  let manifestBytes = 0;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path.replace(/^(\.\/)+/, '');
      installed += entry.size;
      entries.set(name, entry.size);
      if (name === 'manifest.json')
        entry.on('data', (c: Buffer) => {
          manifestBytes += c.length;
          if (manifestBytes <= MAX_MANIFEST_BYTES) manifest.push(c);
        });
      else entry.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    // `end` is inclusive: one byte past what the index says is enough to tell the file is not it.
    const source = createReadStream(file, { fd, start: 0, end: expected });
    source.on('data', (c) => {
      hash.update(c as Buffer);
      size += c.length;
    });
    source.on('error', reject);
    parser.on('error', (err: Error) => {
      source.destroy();
      reject(new VerificationError(`${path.basename(file)}: ${err.message}`, 'bad-archive'));
    });
    parser.on('end', () => resolve());
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });
  return { sha256: hash.digest('hex'), size, installed, entries, manifest: Buffer.concat(manifest) };
}

/**
 * What the package `e` names needs, read from its archive in the catalog folder `dir`: refused
 * unless the archive is the one the signed index names (size and SHA-256).
 */
/** What to do about a package file that is not the one its signed index names. */
const REBUILD =
  "Build the repository again (blueprint repo build); for the box's offline catalog, rebuild the image (scripts/build-image.sh).";

export async function needsFromArchive(dir: string, e: IndexEntry): Promise<PackageNeeds> {
  const found = resolveInside(dir, e.path);
  if (!found.inside || !found.exists)
    throw new VerificationError('its package file is missing', 'catalog-package-missing', REBUILD);
  // Resolved below `dir` already; opened without following a link or waiting on a FIFO.
  const opened = await openRegular(found.path);
  if (!opened.ok) {
    if (opened.why === 'open' && opened.error.code === 'ENOENT')
      throw new VerificationError('its package file is missing', 'catalog-package-missing', REBUILD);
    // ELOOP: a link swapped in at the name since it was resolved.
    if (opened.why === 'open' && opened.error.code !== 'ELOOP') throw opened.error;
    throw new VerificationError('its package file is not a regular file', 'not-a-file', REBUILD);
  }
  // A file of another size is not the one the index names: judged before a byte is read (a 1 TiB
  // sparse file would otherwise be hashed whole).
  if (opened.stat.size !== e.size) {
    await new Promise<void>((resolve) => closeFd(opened.fd, () => resolve()));
    throw new VerificationError(
      'its package file does not match the signed index',
      'catalog-mismatch',
      REBUILD,
    );
  }
  const scan = await scanPackage(opened.fd, found.path, e.size);
  if (scan.size !== e.size || scan.sha256 !== e.sha256)
    throw new VerificationError(
      'its package file does not match the signed index',
      'catalog-mismatch',
      REBUILD,
    );
  const manifest = parseManifest(parseJsonBytes(scan.manifest, `${e.name} manifest.json`, 'bad-manifest'));
  const base = { name: e.name, version: e.version, arch: e.arch, sha256: e.sha256 };
  if (manifest.service === undefined)
    return {
      ...base,
      installedBytes: scan.installed,
      imageBytes: 0,
      memoryBytes: 0,
      gpu: 'none',
      outbound: [],
      serves: [],
    };
  const spec = parseService(manifest.service);
  return {
    ...base,
    installedBytes: scan.installed,
    imageBytes: scan.entries.get(`payload/${spec.image.archive.replace(/^(\.\/)+/, '')}`) ?? 0,
    memoryBytes: spec.resources.memory,
    gpu: spec.gpu,
    outbound: spec.network === 'outbound' ? spec.outbound : [],
    serves: spec.packageMounts.map((p) => p.packages),
  };
}

/** The record's key: the archive it describes. */
export const needsKey = (e: { name: string; sha256: string }): string => `${e.name}@${e.sha256}`;

/**
 * The verified records of `dir`/needs.json by archive, or an empty map when the catalog has none
 * (one built before it existed: each package is then read from its archive). A file that is there
 * but not signed by the catalog's key is refused, as the index would be.
 */
export async function readCatalogNeeds(dir: string, keyText: string): Promise<Map<string, PackageNeeds>> {
  const file = path.join(dir, NEEDS_FILE);
  const bytes = await readBounded(file, MAX_NEEDS_BYTES, 'the catalog needs.json').catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (!bytes) return new Map();
  const sig = await readBounded(`${file}.asc`, 1024 * 1024, 'the catalog needs.json signature');
  await verifyDetached(bytes, sig, await readPublicKeys(keyText), 'the offline catalog needs.json');
  const needs = parseWith(
    needsSchema,
    parseJsonBytes(bytes, 'The catalog needs.json', 'bad-catalog-needs'),
    'catalog needs.json',
    'bad-catalog-needs',
    'The image is broken: rebuild it (scripts/build-image.sh).',
  );
  return new Map(needs.packages.map((p) => [needsKey(p), p]));
}

/**
 * Writes `dir`/needs.json and its signature for every package of the repository's index (built
 * here, by the same signer): what listing the catalog shows without reading an archive.
 */
export async function writeCatalogNeeds(dir: string, signer: Signer): Promise<number> {
  const { signFile } = await import('../pkg/build.js');
  // The index `repo build` has just written (renamed into place: never a link) in the user's folder.
  const index = parseIndex(
    await readBounded(
      path.join(dir, 'index.json'),
      64 * 1024 * 1024,
      'index.json',
      'Build the repository again (blueprint repo build).',
    ),
  );
  const packages: PackageNeeds[] = [];
  for (const e of index.packages) packages.push(await needsFromArchive(dir, e));
  const tmp = path.join(dir, `.${NEEDS_FILE}.new`);
  await writeFileAtomic(tmp, `${JSON.stringify({ format: 1, packages }, null, 2)}\n`);
  await signFile(tmp, signer);
  // Signature first, as for the index: a reader racing this sees a mismatch, never a wrong record.
  await rename(`${tmp}.asc`, path.join(dir, `${NEEDS_FILE}.asc`));
  await rename(tmp, path.join(dir, NEEDS_FILE));
  return packages.length;
}
