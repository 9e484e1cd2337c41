import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { type Readable, Transform, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ReadEntry } from 'tar';
import { BlueprintError, storageErrorFrom, VerificationError } from '../errors.js';
import { drain, peek } from '../system/stream-once.js';
import { checkLinksOnDisk, isGzipHead, linkStaysInside, safeEntryPath, unsafe } from './archive-checks.js';
import { recycleInflateOutput } from './inflate-pool.js';
import { DOWNLOAD_AGAIN, NOT_A_PACKAGE } from './manifest-read.js';
import { fileFlusher, syncFolders } from './unpack-durable.js';

// Kept importable from here, where they were first written.
export { safeEntryPath } from './archive-checks.js';
export { readManifestBytes } from './manifest-read.js';

export interface FileRecord {
  path: string;
  sha256?: string;
  size?: number;
  mode?: number;
  /** Symlink target (relative, inside the payload). */
  link?: string;
  dir?: boolean;
}

export interface ExtractLimits {
  /** Most bytes the archive may expand to (decompression bombs). */
  maxUnpackedBytes: number;
  maxEntries: number;
}

export interface Extracted {
  /** SHA-256 and size of the archive bytes as read, to check against the signed index. */
  archiveSha256: string;
  archiveSize: number;
  manifestBytes: Buffer;
  /** Payload entries, paths relative to payload/. */
  files: FileRecord[];
  unpackedBytes: number;
}

/**
 * Unpacks a `.bpkg` into `dest` (a fresh staging directory) in one streaming pass, hashing every
 * file. Only `manifest.json` and `payload/...` are allowed; owners are never taken from the archive;
 * modes become 0644/0755; any node-tar warning, device node, hard link, set-id bit, duplicate entry,
 * entry through a symlink, symlink that resolves outside payload/ (through any other link) or
 * excess size aborts. The caller discards `dest` on failure.
 */
export async function extractPackage(
  file: string,
  dest: string,
  limits: ExtractLimits,
  signal?: AbortSignal,
  /** The bytes of the files written so far, as they land (parts.ts WrittenEvent). */
  landed?: (bytes: number) => void,
): Promise<Extracted> {
  const archiveHash = createHash('sha256');
  let archiveSize = 0;
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  const out = await extractStream(source, dest, limits, {
    ...(signal ? { signal } : {}),
    ...(landed ? { landed } : {}),
    onChunk: (c) => {
      archiveHash.update(c);
      archiveSize += c.length;
    },
  });
  return { ...out, archiveSha256: archiveHash.digest('hex'), archiveSize };
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Sees every byte of the archive, in order, as it is read (hashes, size limits: may throw). */
  onChunk?: (chunk: Buffer) => void;
  /**
   * When unpacking fails, read the rest of `source` through `onChunk` before refusing, so the
   * caller's hashes cover the whole file (its signature's verdict, the better answer for a
   * tampered package, needs them).
   */
  drainOnFailure?: boolean;
  /**
   * Called with each chunk of a gzip `source` once gunzip has read it through (its memory may then
   * be used again: read-pool.ts). Not for chunks read after a failure, nor for a plain tar.
   */
  consumed?: (chunk: Buffer) => void;
  /** The bytes of the files written so far, after each chunk is written. */
  landed?: (bytes: number) => void;
}

/**
 * `extractPackage` on a stream that has not flowed yet (a file, a download): each byte is read
 * once, seen by `onChunk` and unpacked. The archive's own hash is the caller's (`onChunk`).
 */
export async function extractStream(
  source: Readable,
  dest: string,
  limits: ExtractLimits,
  opts: StreamOptions = {},
): Promise<Omit<Extracted, 'archiveSha256' | 'archiveSize'>> {
  const { signal, onChunk, landed } = opts;
  let written = 0;
  const files: FileRecord[] = [];
  const seen = new Set<string>();
  const symlinks = new Set<string>();
  const manifestParts: Buffer[] = [];
  let unpacked = 0;
  let failure: unknown;
  let entries = 0;
  // Recursive, and fine: `dest` is a staging folder under opt/blueprint/.staging (the root judged by
  // checkRoot first, no link out of it; var/lib/blueprint/pkg made there by the lock's ensureDir, so
  // not /proc) or the system update's work folder in var/cache/blueprint (assertInsideRoot; reached
  // after the repository's kept index was read from that root, so not /proc either). The entries'
  // folders below are made inside `dest`, where no link is followed (`symlinks`).
  mkdirSync(dest, { recursive: true, mode: 0o755 });

  // tar loads with the first package read, not with every command that reads the indexes.
  const { Parser } = await import('tar');
  const parser = new Parser({
    strict: true,
    onwarn: (_code: string, message: string) => fail(unsafe(message)),
  });

  // Each file's data goes to the disk as it ends, its folders once all is unpacked: the caller
  // commits an install right after, and a power cut must not leave it naming files the disk never
  // got (transaction.ts). A file the unpack stopped inside is closed at the end.
  const disk = fileFlusher((err, rel) => fail(storageErrorFrom(err, `writing ${rel} to the disk`)));
  let stopReading: (err: unknown) => void = () => {};
  const fail = (err: unknown) => {
    failure ??= err;
    stopReading(err);
  };

  const handle = (entry: ReadEntry) => {
    if (failure) return entry.resume();
    const name = safeEntryPath(entry.path);
    if (++entries > limits.maxEntries) throw unsafe(`more than ${limits.maxEntries} entries`);
    if (seen.has(name)) throw unsafe(`duplicate entry ${name}`);
    seen.add(name);
    if (name !== 'manifest.json' && name !== 'payload' && !name.startsWith('payload/'))
      throw unsafe(
        `unexpected entry ${JSON.stringify(entry.path)} (only manifest.json and payload/ are allowed)${name === '' ? `: the archive's own folder, added by \`tar -C DIR .\`; archive the two entries by name: tar -C DIR -czf NAME_VERSION_ARCH.bpkg manifest.json payload` : ''}`,
      );
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++)
      if (symlinks.has(parts.slice(0, i).join('/'))) throw unsafe(`${name} goes through a symlink`);
    const mode = entry.mode ?? 0o644;
    if (mode & 0o7000) throw unsafe(`${name} has setuid/setgid/sticky bits (mode ${mode.toString(8)})`);
    const target = path.join(dest, name);
    const rel = name === 'payload' ? '' : name.slice('payload/'.length);
    switch (entry.type) {
      case 'Directory':
        if (name === 'manifest.json') throw unsafe('manifest.json is a directory');
        mkdirSync(target, { recursive: true, mode: 0o755 });
        if (rel) files.push({ path: rel, dir: true });
        return entry.resume();
      case 'SymbolicLink': {
        const link = entry.linkpath ?? '';
        if (name === 'manifest.json' || name === 'payload' || !linkStaysInside(name, link))
          throw unsafe(`symlink ${name} -> ${link} points outside the package`);
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        symlinkSync(link, target);
        symlinks.add(name);
        files.push({ path: rel, link });
        return entry.resume();
      }
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        break;
      case 'Link':
        throw unsafe(`hard link ${name} -> ${entry.linkpath} (hard links are not allowed)`);
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        throw unsafe(`${name} is a device node or FIFO`);
      default:
        throw unsafe(`${name} has unsupported type ${entry.type}`);
    }
    unpacked += entry.size ?? 0;
    if (unpacked > limits.maxUnpackedBytes)
      throw unsafe(`expands past ${limits.maxUnpackedBytes} bytes (decompression bomb?)`);
    if (name === 'manifest.json') {
      if ((entry.size ?? 0) > 1024 * 1024) throw unsafe('manifest.json is larger than 1 MiB');
      // A copy: the chunk's memory may be written again once this handler returns (inflate-pool.ts).
      entry.on('data', (c: Buffer) => manifestParts.push(Buffer.from(c)));
      return;
    }
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    const executable = (mode & 0o111) !== 0;
    const fd = disk.opened(openSync(target, 'wx', executable ? 0o755 : 0o644));
    const hash = createHash('sha256');
    let size = 0;
    entry.on('data', (chunk: Buffer) => {
      try {
        hash.update(chunk);
        size += chunk.length;
        writeSync(fd, chunk);
        written += chunk.length;
        landed?.(written);
      } catch (err) {
        fail(storageErrorFrom(err, `unpacking ${rel}`));
      }
    });
    entry.on('end', () => {
      files.push({ path: rel, sha256: hash.digest('hex'), size, mode: executable ? 0o755 : 0o644 });
      disk.ended(fd, rel);
    });
  };

  parser.on('entry', (entry: ReadEntry) => {
    try {
      handle(entry);
    } catch (err) {
      entry.resume();
      fail(err);
    }
  });

  // Count decompressed bytes ourselves: a bomb is stopped even if its tar headers lie.
  let streamed = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      streamed += chunk.length;
      if (streamed > limits.maxUnpackedBytes + 1024 * 1024)
        return cb(unsafe(`expands past ${limits.maxUnpackedBytes} bytes (decompression bomb?)`));
      cb(null, chunk);
    },
  });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        onChunk?.(chunk);
      } catch (err) {
        return cb(err as Error);
      }
      cb(null, chunk);
    },
  });
  try {
    const head = await peek(source, 6);
    let gzip: boolean;
    try {
      if (head.length < 6) {
        onChunk?.(head); // every byte read is the caller's to see, even these
        throw new VerificationError(
          `Corrupt package archive: only ${head.length} bytes`,
          'bad-archive',
          DOWNLOAD_AGAIN,
        );
      }
      gzip = isGzipHead(head);
    } catch (err) {
      if (opts.drainOnFailure && !source.readableEnded) await drain(source, onChunk).catch(() => {});
      else source.destroy();
      throw err;
    }
    await new Promise<void>((resolve, reject) => {
      const inflate = gzip ? releasing(createGunzip({ chunkSize: 1024 * 1024 }), opts.consumed) : undefined;
      if (inflate) recycleInflateOutput(inflate, parser as unknown as Writable);
      const chain: Array<NodeJS.ReadableStream & { destroy(): void }> = inflate
        ? [source, tap, inflate, meter]
        : [source, tap, meter];
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err && opts.drainOnFailure && !signal?.aborted && !source.destroyed) {
          for (const s of chain.slice(1)) s.destroy();
          source.unpipe();
          // The caller judges what the drain saw (its size limit, its hashes); this failure stands.
          drain(source, onChunk).then(
            () => reject(err),
            () => reject(err),
          );
          return;
        }
        for (const s of chain) s.destroy();
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => finish(signal?.reason);
      signal?.addEventListener('abort', onAbort);
      stopReading = finish;
      for (const s of chain) s.on('error', finish);
      parser.on('error', finish);
      parser.on('end', () => finish(failure));
      let tail: NodeJS.ReadableStream = chain[0]!;
      for (const s of chain.slice(1))
        tail = tail.pipe(s as unknown as NodeJS.WritableStream) as unknown as NodeJS.ReadableStream;
      tail.pipe(parser as unknown as NodeJS.WritableStream);
    });
  } catch (err) {
    failure ??= err;
  }
  await disk.settled();
  if (failure) {
    if (failure instanceof BlueprintError) throw failure;
    if (signal?.aborted) throw signal.reason;
    const code = (failure as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS' || code === 'EDQUOT')
      throw storageErrorFrom(failure, 'unpacking');
    throw new VerificationError(
      `Corrupt package archive: ${(failure as Error).message}`,
      'bad-archive',
      DOWNLOAD_AGAIN,
    );
  }
  if (!seen.has('manifest.json'))
    throw new VerificationError('The package has no manifest.json', 'bad-archive', NOT_A_PACKAGE);
  checkLinksOnDisk(dest, files);
  await syncFolders(dest, files).catch((err) => {
    throw storageErrorFrom(err, 'unpacking');
  });
  return {
    manifestBytes: Buffer.concat(manifestParts),
    files,
    unpackedBytes: unpacked,
  };
}

/**
 * `inflate` telling `consumed` of each input chunk it has read through: zlib calls a chunk's
 * transform callback once no input of it is left to read (node:zlib processCallback).
 */
function releasing(inflate: Transform, consumed?: (chunk: Buffer) => void): Transform {
  if (!consumed) return inflate;
  const transform = inflate._transform.bind(inflate);
  inflate._transform = (chunk: Buffer, enc, cb) =>
    transform(chunk, enc, (err?: Error | null, data?: unknown) => {
      if (!err) consumed(chunk);
      cb(err, data);
    });
  return inflate;
}
