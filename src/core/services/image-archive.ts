import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { VerificationError } from '../errors.js';

/**
 * What the engine is given of a module's image archive. The engine loads an archive whole: every
 * image in it, under every tag it names (a docker-archive's `RepoTags` and `repositories`, an OCI
 * archive's `org.opencontainers.image.ref.name`). A publisher could so move the admin's own tags
 * (`debian:latest` would then run the publisher's image) or another module's, and fill the
 * storage with images nobody installed.
 *
 * Why tags are taken off rather than judged: the tag a build writes (`localhost/blueprint-build/
 * NAME:VERSION`) is not signed, and archives made elsewhere carry others; blueprint starts
 * containers by image ID, so no tag in an archive is needed, and one rule (none is applied; the
 * loader tags the image itself with the module's own) is easier to hold than a list of allowed
 * ones. An archive with more than one image, or that is both kinds at once (the engine picks
 * one; this would judge the other), is refused.
 *
 * The tar is read with node-tar's Parser (headers, checksums, base-256 numbers, ustar prefixes,
 * pax and GNU long names), in strict mode, only ever from the one descriptor the caller opened:
 * once to list and judge it, and again, entry by entry, to write the tar the engine gets. That
 * tar is written here (node-tar's Header and Pax) from what the parser read, checked against the
 * listing (the same entries, and the same bytes for every file small enough to be an index or a
 * config), so the engine cannot see an entry, a name or a duplicate this reading did not. What
 * node-tar lets through and the engine must not see is refused here: compression (the parser
 * unpacks gzip whatever it is told), link and device entries, global pax headers, an entry after
 * an end-of-archive block, an archive with no end.
 */

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  linkname: string;
  /** The digest of a file no larger than MAX_INDEX (what an index or a config may be). */
  sha256?: string;
}

/** Largest manifest.json / index.json / config read: podman's for one image are a few KB. */
const MAX_INDEX = 1 << 20;
/** How much of the file is handed to the parser at a time. */
const CHUNK = 1 << 20;
const TYPES: Partial<Record<string, TarEntry['type']>> = {
  File: 'file',
  OldFile: 'file',
  Directory: 'dir',
  SymbolicLink: 'symlink',
};
const TAR_TYPES = { file: 'File', dir: 'Directory', symlink: 'SymbolicLink' } as const;

const bad = (why: string) =>
  new VerificationError(
    `The module's image archive is not one blueprint can load: ${why}`,
    'image-archive-format',
    'A module image archive is one image as `podman save` writes it (docker-archive or oci-archive); rebuild it with `blueprint repo build`.',
  );

function cleanName(raw: string): string {
  const name = path.posix.normalize(raw).replace(/\/+$/, '');
  // A NUL (possible in a pax record) ends the name for the engine's reader: "manifest.json\0x"
  // would be a second manifest.json to it, and a different name to this listing.
  if (
    !name ||
    name.includes('\0') ||
    name === '.' ||
    name.startsWith('/') ||
    name === '..' ||
    name.startsWith('../')
  )
    throw bad(`it holds an entry named ${JSON.stringify(raw)}`);
  return name;
}

/** An entry as the parser read it (its pax and GNU headers applied), judged. */
function judge(e: ReadEntry): TarEntry {
  const type = TYPES[e.type];
  if (!type) throw bad(`it holds an entry of tar type ${e.type}`);
  // A global header's fields (the size among them) apply to every later entry.
  if (e.globalExtended) throw bad('it has a global pax header');
  const name = cleanName(e.path);
  if (!Number.isSafeInteger(e.size) || e.size < 0 || !Number.isInteger(e.mode))
    throw bad(`${name} has a malformed size or mode`);
  // The engine's reader skips no data after a link or a folder; the parser would.
  if (type !== 'file' && e.startBlockSize > 0) throw bad(`${name} is a ${type} with data`);
  const linkname = type === 'symlink' ? (e.linkpath ?? '') : '';
  if (linkname.includes('\0')) throw bad(`${name} links to a name with a NUL in it`);
  return { name, type, mode: e.mode! & 0o7777, size: type === 'file' ? e.size : 0, linkname };
}

/**
 * node-tar's parser over the whole tar on `fh`, from its first byte to its end-of-archive blocks
 * (nothing after them is read). `onEntry` gets each entry judged, and the parser's stream of its
 * data, which it must consume; what it throws refuses the archive. `stop`: gives up (the reader
 * of what is written from it went away).
 */
async function parse(
  fh: FileHandle,
  onEntry: (entry: TarEntry, data: ReadEntry) => void,
  stop?: AbortSignal,
): Promise<void> {
  const st = await fh.stat();
  if (!st.isFile()) throw bad('it is not a plain file');
  let failed: unknown;
  let wake = () => {};
  let lone = false; // one end-of-archive block seen, not yet the second
  let eof = false;
  const parser = new Parser({ strict: true, zstd: false, brotli: false, maxMetaEntrySize: MAX_INDEX });
  const ended = new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      failed ??= err;
      wake();
      reject(failed);
    };
    parser.on('error', (err: Error) => fail(bad(`it is not a tar archive, or is damaged (${err.message})`)));
    // An unknown type, or a pax or long-name header larger than MAX_INDEX.
    parser.on('ignoredEntry', (e: ReadEntry) =>
      fail(e.meta ? bad('an extended header is too large') : bad(`it holds an entry of tar type ${e.type}`)),
    );
    parser.on('nullBlock', () => {
      lone = true;
    });
    parser.on('eof', () => {
      eof = true;
    });
    parser.on('entry', (e: ReadEntry) => {
      if (failed !== undefined) return void e.resume();
      try {
        if (lone) throw bad('an entry follows an end-of-archive block');
        onEntry(judge(e), e);
      } catch (err) {
        e.resume();
        fail(err);
      }
    });
    parser.on('end', () => (failed !== undefined ? reject(failed) : resolve()));
    stop?.addEventListener('abort', () => fail(stop.reason));
  });
  ended.catch(() => {});
  try {
    for (let at = 0; failed === undefined && !eof; ) {
      const chunk = Buffer.allocUnsafe(CHUNK); // not reused: the parser keeps slices of it
      const { bytesRead } = await fh.read(chunk, 0, CHUNK, at);
      if (bytesRead === 0) break;
      // The parser unpacks gzip whatever it is told; a tar starts with a name, never these bytes.
      if (at === 0 && chunk[0] === 0x1f && chunk[1] === 0x8b) throw bad('it is compressed');
      at += bytesRead;
      if (!parser.write(chunk.subarray(0, bytesRead)))
        await new Promise<void>((resolve) => {
          wake = resolve;
          parser.once('drain', resolve);
        });
    }
  } catch (err) {
    failed ??= err;
  }
  if (failed !== undefined) throw failed;
  parser.end();
  await ended;
  if (!eof) throw bad('it is cut short (it has no end-of-archive blocks)');
}

/** `data` whole (it is at most MAX_INDEX), to `done` once it has ended. */
function collect(data: ReadEntry, done: (bytes: Buffer) => void): void {
  const parts: Buffer[] = [];
  data.on('data', (c: Buffer) => parts.push(c));
  data.on('end', () => done(Buffer.concat(parts)));
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Every entry of the tar on `fh`, names normalized, one of each, only files, folders and links;
 * the digest of each small file, and the bytes of those `keep` names.
 */
async function scan(
  fh: FileHandle,
  keep: (name: string) => boolean,
): Promise<{ entries: TarEntry[]; kept: Map<string, Buffer> }> {
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  const kept = new Map<string, Buffer>();
  await parse(fh, (entry, data) => {
    if (seen.has(entry.name)) throw bad(`it holds ${entry.name} twice`);
    seen.add(entry.name);
    entries.push(entry);
    if (entry.type !== 'file' || entry.size > MAX_INDEX) return void data.resume();
    collect(data, (bytes) => {
      entry.sha256 = sha256(bytes);
      if (keep(entry.name)) kept.set(entry.name, bytes);
    });
  });
  return { entries, kept };
}

const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);

/** What the reading found of one entry's bytes: the entry, checked to be a small plain file. */
function small(byName: Map<string, TarEntry>, name: string, what: string): TarEntry & { sha256: string } {
  const e = byName.get(name);
  if (e?.type !== 'file' || e.sha256 === undefined)
    throw bad(`${what} is missing, not a plain file, or too large`);
  return e as TarEntry & { sha256: string };
}

const parseJson = (bytes: Buffer | undefined, name: string): unknown => {
  try {
    return JSON.parse(bytes!.toString('utf8'));
  } catch {
    throw bad(`${name} is not JSON`);
  }
};

const mismatch = (id: string, expectedId: string) =>
  new VerificationError(
    `The image in the module's archive is ${id}, but the signed manifest says ${expectedId}`,
    'image-digest-mismatch',
    'The package was tampered with or built wrongly; nothing was loaded. Rebuild it with `blueprint repo build`.',
  );

/**
 * The image ID is the digest of the image's config: judged here, before loading, so an archive
 * holding another image is never loaded. (Refused after loading, it was removed again, and with
 * it an image of the same ID the admin already had.)
 */
function sameImage(byName: Map<string, TarEntry>, config: string, expectedId: string): void {
  const id = small(byName, cleanName(config), `its image config ${config}`).sha256;
  if (id !== expectedId) throw mismatch(id, expectedId);
}

const blobPath = (digest: string) => {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(`it names a blob ${JSON.stringify(digest)}`);
  return `blobs/sha256/${digest.slice(7)}`;
};

const oneImage = (n: number) =>
  new VerificationError(
    `The module's image archive holds ${n} images; a module's holds the one its signed manifest names`,
    'image-archive-images',
    'Nothing was loaded. Rebuild the module with `blueprint repo build`, or report it to its publisher.',
  );

/** What writeTar gives the engine: every entry listed, with these bytes instead (null: left out). */
export interface UntaggedArchive {
  entries: TarEntry[];
  replaced: Map<string, Buffer | null>;
}

/**
 * The archive's entries with its own tags taken off: docker-archive `manifest.json` without
 * `RepoTags` and no `repositories`, OCI `index.json` without ref names. Refuses an archive of
 * neither kind or both, and one of more (or fewer) than one image.
 */
export async function untaggedArchive(fh: FileHandle, expectedId: string): Promise<UntaggedArchive> {
  const { entries, kept } = await scan(fh, (n) => n === 'manifest.json' || n === 'index.json');
  const byName = new Map(entries.map((e) => [e.name, e]));
  const docker = byName.has('manifest.json');
  if (docker === byName.has('index.json'))
    throw bad(
      docker
        ? 'it is both a docker-archive and an OCI archive'
        : 'it has neither manifest.json nor index.json',
    );
  const replaced = new Map<string, Buffer | null>([['repositories', null]]);
  if (docker) {
    small(byName, 'manifest.json', 'manifest.json');
    const list = parseJson(kept.get('manifest.json'), 'manifest.json');
    if (!Array.isArray(list)) throw bad('manifest.json is not a list');
    if (list.length !== 1) throw oneImage(list.length);
    const { RepoTags: _tags, ...item } = list[0] as Record<string, unknown>;
    sameImage(byName, String(item.Config), expectedId);
    replaced.set('manifest.json', Buffer.from(JSON.stringify([{ ...item, RepoTags: [] }])));
  } else {
    small(byName, 'index.json', 'index.json');
    const index = parseJson(kept.get('index.json'), 'index.json') as { manifests?: unknown } | null;
    const manifests = index?.manifests;
    if (!Array.isArray(manifests)) throw bad('index.json lists no manifests');
    if (manifests.length !== 1) throw oneImage(manifests.length);
    const desc = manifests[0] as {
      mediaType?: string;
      digest?: unknown;
      annotations?: Record<string, string>;
    };
    // An index inside the index is a list of images (one per platform...): more than one.
    if (!MANIFEST_TYPES.has(String(desc?.mediaType)))
      throw bad(`index.json names a ${String(desc?.mediaType)}, not one image`);
    const digest = String(desc.digest);
    const blob = small(byName, blobPath(digest), `its blob ${digest}`);
    if (blob.sha256 !== digest) throw bad(`its blob ${digest} does not match its digest`);
    // Its bytes, read again from the same descriptor (scan keeps only what it knows to keep).
    const bytes = (await scan(fh, (n) => n === blob.name)).kept.get(blob.name);
    if (!bytes || sha256(bytes) !== digest) throw bad('it changed while it was read');
    const manifest = parseJson(bytes, blob.name) as { config?: { digest?: unknown } } | null;
    const config = String(manifest?.config?.digest);
    // The engine names the image by the config digest the manifest gives, and checks the blob.
    if (config !== expectedId) throw mismatch(config, expectedId);
    sameImage(byName, blobPath(config), expectedId);
    const { 'org.opencontainers.image.ref.name': _ref, ...annotations } = desc.annotations ?? {};
    replaced.set(
      'index.json',
      Buffer.from(JSON.stringify({ ...index, manifests: [{ ...desc, annotations }] })),
    );
  }
  return { entries, replaced };
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** An entry's header as the engine gets it: node-tar's, a pax header before it for long names. */
function header(e: TarEntry, size: number): Buffer[] {
  const h = new Header({
    path: e.name,
    type: TAR_TYPES[e.type],
    mode: e.mode,
    size,
    linkpath: e.linkname,
    uid: 0,
    gid: 0,
    mtime: new Date(0),
  });
  if (!h.encode()) return [h.block!];
  return [new Pax({ path: e.name, linkpath: e.linkname || undefined, size }).encode(), h.block!];
}

const same = (a: TarEntry, b: TarEntry | undefined): b is TarEntry =>
  b !== undefined &&
  a.name === b.name &&
  a.type === b.type &&
  a.mode === b.mode &&
  a.size === b.size &&
  a.linkname === b.linkname;

/**
 * The tar the engine gets: the archive on `fh` read again, each entry checked against `entries`
 * (the listing judged), `replaced` ones with the bytes given or left out. An archive that reads
 * otherwise the second time ends the stream with an error: the engine loads nothing whole.
 */
export function writeTar(
  fh: FileHandle,
  entries: TarEntry[],
  replaced: Map<string, Buffer | null>,
): Readable {
  const out = new PassThrough();
  const gone = new AbortController();
  out.on('close', () => gone.abort(bad('the engine stopped reading it')));
  let next = 0;
  let padding = 0; // what the last entry's data still needs to fill its last block
  const changed = () => bad('it changed while it was read');
  parse(
    fh,
    (entry, data) => {
      const listed = entries[next++];
      if (!same(entry, listed)) throw changed();
      out.write(pad(padding));
      padding = 0;
      const body = replaced.get(entry.name);
      if (body !== undefined) {
        data.resume();
        if (body) out.write(Buffer.concat([...header(entry, body.length), body, pad(body.length)]));
        return;
      }
      out.write(Buffer.concat(header(entry, entry.size)));
      padding = entry.size;
      // Streamed as it is read (the engine's pace holds the reading back); what was judged (a
      // config, a blob's digest) is hashed on the way: other bytes end the stream before its end.
      const hash = listed.sha256 === undefined ? undefined : createHash('sha256');
      data.on('data', (c: Buffer) => {
        hash?.update(c);
        if (!out.write(c)) {
          data.pause();
          out.once('drain', () => data.resume());
        }
      });
      data.on('end', () => {
        if (hash && `sha256:${hash.digest('hex')}` !== listed.sha256) out.destroy(changed());
      });
    },
    gone.signal,
  ).then(
    () => {
      if (next !== entries.length) return void out.destroy(changed());
      out.end(Buffer.concat([pad(padding), Buffer.alloc(1024)]));
    },
    (err: unknown) => out.destroy(err as Error),
  );
  return out;
}
