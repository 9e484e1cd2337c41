import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BlueprintError, NotFoundError, storageErrorFrom, VerificationError } from '../errors.js';
import { judgedOpen, type Opener } from '../system/read-bounded.js';
import { joinUrl } from './join-url.js';
import { pooledFileStream } from './read-pool.js';
import type { Opened, Transport, TransportOptions } from './transports/types.js';

export type { Transport, TransportOptions } from './transports/types.js';
// In its own module: `bpkg update`'s quick path (update-fast.ts) loads it without the transports.
export { joinUrl };

export type Progress = (bytes: number, total: number | undefined) => void;

/**
 * node:crypto's createHash, taken when a download or a file is hashed: `bpkg update` loads this
 * module for fetchBytes and hashes nothing here, and the import was ~8 ms of its CPU (issue 20).
 */
const createHash = (algorithm: string) => process.getBuiltinModule('node:crypto').createHash(algorithm);

let options: TransportOptions = {};

/**
 * Settings for every transport from now on (merged into what was set): where the root-only
 * credentials live (ROOT/etc/blueprint), extra CAs, the stall timeout.
 */
export function configureTransports(o: TransportOptions): void {
  options = { ...options, ...o };
}

/** judgedOpen's descriptors as FileHandles (pooledFileStream reads one). */
const handles: Opener<FileHandle> = {
  open: (file, flags) => open(file, flags),
  stat: (h) => h.stat(),
  close: (h) => h.close(),
  fd: (h) => h.fd,
};

/**
 * A folder repository's file, judged before it is opened (read-bounded's judgedOpen, on an O_PATH
 * descriptor): only a regular file is opened for reading, O_NONBLOCK. A stick's folder repository
 * may hold a device node under a package's name (an open /dev/watchdog arms the watchdog) or a FIFO
 * (its writer would go on): neither is opened. Links are followed as the kernel follows them:
 * joinUrl judged where they really lead.
 */
async function openFolderFile(base: string): Promise<{ handle: FileHandle; size: number }> {
  const file = base.startsWith('file://') ? fileURLToPath(base) : base;
  const r = await judgedOpen(file, { kernelLinks: true }, handles);
  if (r.ok) return { handle: r.handle, size: r.stat.size };
  if (r.why === 'open') {
    if (r.error.code === 'ENOENT')
      throw new NotFoundError(`${file} not found`, 'Check the repository path.', 'not-found-remote');
    throw r.error;
  }
  throw notAFile(file);
}

const fileTransport: Transport = {
  async open(base) {
    const { handle, size } = await openFolderFile(base);
    // 1 MiB reads: a 100 MB package in 100 reads and writes into the cache, not 1,600; through
    // buffers used again where the reader releases them (install: read-pool.ts).
    return { body: pooledFileStream(handle), length: size };
  },
};

/**
 * Each scheme's transport, made when a URL first needs it: the remote ones load with their modules
 * (HTTP and node:net, the registry client, aws4fetch, the credentials' reader), which a folder
 * repository's update never needs (~10 ms of a first `bpkg update`'s CPU, issue 20).
 */
const transports: Record<string, () => Transport | Promise<Transport>> = {
  file: () => fileTransport,
  http: async () => (await import('./transports/http.js')).httpTransport(() => options),
  https: async () => (await import('./transports/http.js')).httpTransport(() => options),
  oci: async () => (await import('./transports/oci.js')).ociTransport(() => options),
  s3: async () => (await import('./transports/s3.js')).s3Transport(() => options),
};
const made = new Map<string, Transport | Promise<Transport>>();

/** The transport of a URL's scheme (a plain path is a folder). */
export async function transportFor(url: string): Promise<Transport> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase() ?? 'file';
  const make = Object.hasOwn(transports, scheme) ? transports[scheme] : undefined;
  if (!make)
    throw new BlueprintError(
      `No transport for ${scheme}:// URLs`,
      'usage',
      `Give a folder, or a ${Object.keys(transports)
        .map((s) => `${s}://`)
        .join(', ')} URL.`,
    );
  let t = made.get(scheme);
  if (!t) {
    t = make();
    made.set(scheme, t);
  }
  return t;
}

/**
 * Opens a URL made by `joinUrl`. An OCI URL carries the file's path after `#` (a registry name may
 * hold slashes, so it cannot be split otherwise); every other scheme's URL is the file's own.
 */
export async function openStream(url: string, signal?: AbortSignal): Promise<Opened> {
  const t = await transportFor(url);
  if (url.startsWith('oci://')) {
    const at = url.indexOf('#');
    if (at < 0) throw new NotFoundError(`${url} names no file`, undefined, 'not-found-remote');
    return t.open(url.slice(0, at), url.slice(at + 1), signal);
  }
  if (url.startsWith('s3://')) {
    const m = /^(s3:\/\/[^/]+)\/(.+)$/.exec(url);
    if (!m) throw new NotFoundError(`${url} names no file`, undefined, 'not-found-remote');
    return t.open(m[1]!, m[2]!, signal);
  }
  return t.open(url, '', signal);
}

/**
 * A folder repository's file read whole: judged and opened as fileTransport opens it, then read
 * into one buffer of the size fstat gave (plus a byte, to see it grow), not through a stream of
 * 1 MiB chunks concatenated after (a 2.6 MB index was three reads, four buffers, a copy and
 * node:stream's iterator: ~5-10 ms of a first `bpkg update`, issue 20). Until the read that finds
 * its end, as the stream: more than `max` bytes is refused however it grew.
 */
async function fileBytes(url: string, max: number): Promise<Uint8Array> {
  const { handle, size } = await openFolderFile(url);
  try {
    let buf = Buffer.allocUnsafeSlow(Math.min(size, max) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > max) throw tooLarge(url, max);
        const more = Buffer.allocUnsafeSlow(Math.min(buf.length * 2, max + 1));
        buf.copy(more, 0, 0, n);
        buf = more;
      }
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > max) throw tooLarge(url, max);
    return buf.subarray(0, n);
  } finally {
    await handle.close();
  }
}

const tooLarge = (url: string, max: number) =>
  new VerificationError(
    `${url} is larger than the ${max} bytes allowed`,
    'too-large',
    'The repository may be hostile or broken.',
  );

const notAFile = (file: string) =>
  new VerificationError(
    `${file} is not a regular file`,
    'not-a-file',
    'The repository may be hostile or broken; a folder repository serves regular files only.',
  );

/** Reads a small remote file fully, refusing anything longer than `max` bytes (endless-data attack). */
export async function fetchBytes(url: string, max: number, signal?: AbortSignal): Promise<Uint8Array> {
  // A folder repository's (a plain path or file://) read whole; any other through its transport's
  // stream (transportFor makes each scheme's once: openStream below takes the same one).
  if ((await transportFor(url)) === fileTransport) return fileBytes(url, max);
  const { body } = await openStream(url, signal);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > max) {
      body.destroy();
      throw tooLarge(url, max);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/**
 * Downloads to `dest` through a `.part` file, hashing as it goes. Stops reading as soon as the
 * stream passes the expected size, and only renames into place when size and SHA-256 match.
 */
export async function download(
  url: string,
  dest: string,
  expect: { size: number; sha256: string },
  opts: { signal?: AbortSignal; onProgress?: Progress } = {},
): Promise<void> {
  const part = `${dest}.part`;
  const { body } = await openStream(url, opts.signal);
  const hash = createHash('sha256');
  let n = 0;
  let fh: import('node:fs/promises').FileHandle | undefined;
  try {
    fh = await open(part, 'w', 0o644);
    for await (const chunk of body) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const buf = chunk as Buffer;
      n += buf.length;
      if (n > expect.size) {
        body.destroy();
        throw new VerificationError(
          `${url} sent more than its declared ${expect.size} bytes (the signed index's size)`,
          'size-mismatch',
          'The mirror is broken or hostile; nothing was installed.',
        );
      }
      hash.update(buf);
      await fh.write(buf);
      opts.onProgress?.(n, expect.size);
    }
    if (n !== expect.size)
      throw new VerificationError(
        `${url}: got ${n} bytes, the signed index says ${expect.size}`,
        'size-mismatch',
        'Run `bpkg update` and try again.',
      );
    const digest = hash.digest('hex');
    if (digest !== expect.sha256)
      throw new VerificationError(
        `${url}: SHA-256 ${digest} differs from the signed index (${expect.sha256})`,
        'hash-mismatch',
        'The file was altered or the mirror is out of date; nothing was installed.',
      );
    // No fsync: a copy in the package cache is hashed against the signed index whenever it is
    // used again (fetch.ts), so one torn by a power cut is fetched again, never used; syncing
    // 100 MB here held up the install by ~80 ms before its signature check could start.
    await fh.close();
    fh = undefined;
    await rename(part, dest);
  } catch (err) {
    await fh?.close().catch(() => {});
    await rm(part, { force: true });
    throw err instanceof BlueprintError || opts.signal?.aborted
      ? err
      : storageErrorFrom(err, `downloading ${url}`);
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
