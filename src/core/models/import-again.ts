import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadFileList } from '../pkg/db.js';
import type { Layout } from '../system/paths.js';

/** An installed model package that holds the very GGUF an import was given. */
export interface SameModel {
  version: string;
  license: string;
  /** The payload files and their SHA-256, as its signed manifest records them. */
  files: Record<string, string>;
  ggufBytes: number;
  ggufSha256: string;
}

/**
 * Whether the installed `pkg` (imported on this box) holds `file`'s bytes as its GGUF, with the
 * version and licence asked for (when asked): `model import` run again (an Ansible task re-run) is
 * then "unchanged", not "name taken". Judged by the SHA-256 the signed manifest records against
 * the file's, read whole, and the installed GGUF's (read whole too: changed on the disk, it is not
 * the file given); a file of another size is other content without a read, and so is anything but a
 * regular file (a pipe is read once, by the import itself).
 */
export async function sameModelInstalled(
  paths: Layout,
  pkg: { name: string; version: string },
  file: string,
  want: { version?: string; license?: string; signal?: AbortSignal },
): Promise<SameModel | undefined> {
  if (want.version !== undefined && want.version !== pkg.version) return undefined;
  const manifest = (await loadFileList(paths, pkg.name, pkg.version))?.manifest;
  const files = (manifest?.files ?? {}) as Record<string, string>;
  const ggufs = Object.keys(files).filter((f) => f.endsWith('.gguf'));
  const license = String(manifest?.license ?? '');
  if (ggufs.length !== 1 || (want.license !== undefined && want.license !== license)) return undefined;
  const gguf = ggufs[0]!;
  const [given, installed] = await Promise.all([
    stat(file).catch(() => undefined),
    stat(path.join(paths.optDir, pkg.name, pkg.version, gguf)).catch(() => undefined),
  ]);
  if (!given?.isFile() || !installed || given.size !== installed.size) return undefined;
  // The installed GGUF too: changed on the disk since (a bad sector, a tool writing into it), the
  // model there is other bytes than the file given, and the import that would repair it is no
  // "unchanged".
  const [sha256, installedSha256] = await Promise.all([
    sha256Of(file, want.signal),
    sha256Of(path.join(paths.optDir, pkg.name, pkg.version, gguf), want.signal),
  ]);
  if (sha256 !== files[gguf] || installedSha256 !== files[gguf]) return undefined;
  return { version: pkg.version, license, files, ggufBytes: given.size, ggufSha256: sha256 };
}

/** How many blocks of a file a dashboard upload's pre-check samples, and each block's size. */
export const UPLOAD_SAMPLES = 16;
export const UPLOAD_SAMPLE_BYTES = 64;

/**
 * The blocks of a file of `size` bytes the pre-check compares: UPLOAD_SAMPLES blocks evenly spread
 * from the first byte to the last (the first block is the GGUF's header, the last its last tensor).
 * The Models page's script (web/assets.ts) reads the same blocks of the chosen file in the browser.
 */
export function uploadSampleRanges(size: number): { offset: number; length: number }[] {
  const length = Math.min(UPLOAD_SAMPLE_BYTES, size);
  if (length <= 0) return [];
  const span = size - length;
  return Array.from({ length: UPLOAD_SAMPLES }, (_, i) => ({
    offset: Math.floor((i * span) / (UPLOAD_SAMPLES - 1)),
    length,
  }));
}

/**
 * Whether a file of `bytes` could be the GGUF installed as `pkg` (imported on this box), with the
 * licence asked for: judged without the whole file (a dashboard's upload not sent yet), by the
 * signed manifest's single GGUF, its size on disk and, where the browser sent them, the file's
 * sampled blocks (`sample`: uploadSampleRanges' blocks, in order) against the installed GGUF's. A
 * SHA-256 as the CLI compares would need the whole file read in the browser before it is sent
 * (WebCrypto has no streaming digest: gigabytes held in memory, or read twice); the blocks catch
 * other weights of the same size (a fine-tune, another quantisation) at once. True only says the
 * upload is worth sending: `sameModelInstalled` decides by SHA-256 once the bytes are here (bytes
 * that differ only between the blocks are refused then).
 */
export async function couldBeSameModel(
  paths: Layout,
  pkg: { name: string; version: string; origin: string },
  bytes: number,
  want: { license?: string; sample?: Uint8Array },
): Promise<boolean> {
  if (pkg.origin !== 'local') return false;
  const manifest = (await loadFileList(paths, pkg.name, pkg.version))?.manifest;
  const ggufs = Object.keys((manifest?.files ?? {}) as Record<string, string>).filter((f) =>
    f.endsWith('.gguf'),
  );
  if (ggufs.length !== 1) return false;
  if (want.license !== undefined && want.license !== String(manifest?.license ?? '')) return false;
  const installed = await stat(path.join(paths.optDir, pkg.name, pkg.version, ggufs[0]!)).catch(
    () => undefined,
  );
  if (installed?.isFile() !== true || installed.size !== bytes) return false;
  return (
    want.sample === undefined ||
    sampleMatches(path.join(paths.optDir, pkg.name, pkg.version, ggufs[0]!), bytes, want.sample)
  );
}

/**
 * Whether the file's uploadSampleRanges blocks are `sample`, byte for byte. A sample of another
 * length is no sample (not the page's: the size alone decides, as without one).
 */
async function sampleMatches(file: string, size: number, sample: Uint8Array): Promise<boolean> {
  const ranges = uploadSampleRanges(size);
  if (sample.length !== ranges.reduce((n, r) => n + r.length, 0)) return true;
  const handle = await open(file, 'r');
  try {
    let at = 0;
    for (const r of ranges) {
      const block = Buffer.alloc(r.length);
      const { bytesRead } = await handle.read(block, 0, r.length, r.offset);
      if (bytesRead !== r.length || !block.equals(sample.subarray(at, at + r.length))) return false;
      at += r.length;
    }
    return true;
  } finally {
    await handle.close();
  }
}

async function sha256Of(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, signal ? { signal } : {})) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
