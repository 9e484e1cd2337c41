/**
 * The package extractor's (archive.ts) judgements of what an archive holds: entry names, where its
 * symlinks lead (as text while streaming, then on disk once all are unpacked), and which compression
 * its first bytes name. Apart from the streaming unpacker so each check reads on its own; archive.ts
 * is their only caller, and runs them in the order its comments give.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { resolveInside } from '../system/beneath.js';
import type { FileRecord } from './archive.js';

export const unsafe = (message: string) =>
  new VerificationError(
    `Unsafe package archive: ${message}`,
    'unsafe-archive',
    'Do not install this package; report it to its publisher.',
  );

/** Normalises a tar path; refuses absolute paths, `..`, NUL and backslashes. */
export function safeEntryPath(raw: string): string {
  if (raw.includes('\0') || raw.includes('\\'))
    throw unsafe(`entry name ${JSON.stringify(raw)} has forbidden characters`);
  if (raw.startsWith('/')) throw unsafe(`absolute path ${raw}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(`path ${raw} climbs out with ..`);
  return parts.join('/');
}

/**
 * A first, text-only filter: true when a relative symlink at `entry` pointing at `target` reads as
 * inside `payload/`. Never enough alone (links before it change what its text means): every link
 * is judged again on disk by `checkLinksOnDisk` once the whole archive is unpacked.
 */
export function linkStaysInside(entry: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entry), target));
  return resolved === 'payload' || resolved.startsWith('payload/');
}

/**
 * Every symlink, resolved through all the others as they now are on disk (`resolveInside`: each
 * step, dangling tails and the kernel's own answer), must land inside payload/. Done after the
 * last entry, since a later link can change where an earlier one leads.
 */
export function checkLinksOnDisk(dest: string, files: FileRecord[]): void {
  const payload = path.join(dest, 'payload');
  for (const f of files) {
    if (f.link === undefined) continue;
    const r = resolveInside(payload, f.path);
    if (!r.inside)
      throw unsafe(
        `symlink payload/${f.path} -> ${f.link} points outside the package once links are followed (${r.reason})`,
      );
  }
}

/** Compressions a publisher may reach for, by their magic bytes; only gzip is accepted. */
const OTHER_COMPRESSION: Array<[string, number[]]> = [
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
];

/** True for gzip, false for a plain tar; refuses another compression by name (`head`: the first bytes). */
export function isGzipHead(head: Uint8Array): boolean {
  const other = OTHER_COMPRESSION.find(([, magic]) => magic.every((b, i) => head[i] === b));
  if (other)
    throw new VerificationError(
      `The package archive is compressed with ${other[0]}; a package is a tar archive, gzip-compressed or plain`,
      'bad-archive',
      'Only gzip is accepted: tar -czf NAME_VERSION_ARCH.bpkg manifest.json payload',
    );
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(6), 0, 6, 0);
    return isGzipHead(buffer.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
