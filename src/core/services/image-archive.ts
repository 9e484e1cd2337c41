import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
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
 * The tar is read from one descriptor: its entries are listed once, and the engine gets a tar this
 * writes from that list (the headers re-encoded, the data read at the offsets listed), so it
 * cannot see an entry, a name or a duplicate that this reading did not.
 */

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  linkname: string;
  /** Where the entry's data starts in the archive. */
  offset: number;
}

/** Largest manifest.json / index.json read: podman's for one image is a few hundred bytes. */
const MAX_INDEX = 1 << 20;
const TYPES: Record<string, TarEntry['type']> = { '0': 'file', '\0': 'file', '5': 'dir', '2': 'symlink' };

const bad = (why: string) =>
  new VerificationError(
    `The module's image archive is not one blueprint can load: ${why}`,
    'image-archive-format',
    'A module image archive is one image as `podman save` writes it (docker-archive or oci-archive); rebuild it with `blueprint repo build`.',
  );

const cstr = (b: Buffer, at: number, len: number) => {
  const s = b.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
};

function readNumber(b: Buffer, at: number, len: number): number {
  if (b[at]! & 0x80) {
    // base-256 (GNU/star, for sizes over 8 GiB): big-endian in the rest of the field
    let n = 0;
    for (let i = at + 1; i < at + len; i++) n = n * 256 + b[i]!;
    return n;
  }
  const text = cstr(b, at, len).trim();
  if (!/^[0-7]*$/.test(text)) throw bad('a tar header has a malformed number');
  return text ? Number.parseInt(text, 8) : 0;
}

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

/** PAX records (`LEN key=value\n`...) that name an entry's path, link or size. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = Number(data.subarray(at, space).toString());
    if (space < 0 || !Number.isInteger(len) || len <= 0 || at + len > data.length)
      throw bad('a pax header is malformed');
    const rec = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    at += len;
  }
  return out;
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw bad('it ends in the middle of an entry');
    got += bytesRead;
  }
  return buf;
}

/** Every entry of the tar on `fh`: names normalized, one of each, only files, folders and links. */
export async function listTar(fh: FileHandle): Promise<TarEntry[]> {
  const st = await fh.stat();
  if (!st.isFile()) throw bad('it is not a plain file');
  const total = st.size;
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  let pax: Record<string, string> = {};
  let at = 0;
  for (;;) {
    if (at + 512 > total) throw bad('it is not a tar archive, or is cut short');
    const h = await readAt(fh, at, 512);
    if (h.every((x) => x === 0)) return entries;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== readNumber(h, 148, 8)) throw bad('it is not a tar archive (a header checksum is wrong)');
    const flag = String.fromCharCode(h[156]!);
    const ext = flag === 'x' || flag === 'L' || flag === 'K';
    const size = !ext && pax.size !== undefined ? Number(pax.size) : readNumber(h, 124, 12);
    const offset = at + 512;
    at = offset + Math.ceil(size / 512) * 512;
    if (!Number.isSafeInteger(size) || at > total) throw bad('an entry runs past the end of the archive');
    if (ext) {
      if (size > MAX_INDEX) throw bad('an extended header is too large');
      const data = await readAt(fh, offset, size);
      if (flag === 'x') pax = { ...pax, ...paxRecords(data) };
      else pax[flag === 'L' ? 'path' : 'linkpath'] = cstr(data, 0, data.length);
      continue;
    }
    const type = TYPES[flag];
    if (!type) throw bad(`it holds an entry of tar type ${JSON.stringify(flag)}`);
    const prefix = cstr(h, 257, 6) === 'ustar' ? cstr(h, 345, 155) : '';
    const name = cleanName(pax.path ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100)));
    if (seen.has(name)) throw bad(`it holds ${name} twice`);
    seen.add(name);
    const linkname = type === 'symlink' ? (pax.linkpath ?? cstr(h, 157, 100)) : '';
    if (linkname.includes('\0')) throw bad(`${name} links to a name with a NUL in it`);
    entries.push({
      name,
      type,
      mode: readNumber(h, 100, 8) & 0o7777,
      size: type === 'file' ? size : 0,
      linkname,
      offset,
    });
    pax = {};
  }
}

const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);

const parseJson = async (fh: FileHandle, e: TarEntry): Promise<unknown> => {
  if (e.type !== 'file') throw bad(`${e.name} is not a plain file`);
  if (e.size > MAX_INDEX) throw bad(`${e.name} is too large`);
  try {
    return JSON.parse((await readAt(fh, e.offset, e.size)).toString('utf8'));
  } catch {
    throw bad(`${e.name} is not JSON`);
  }
};

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * The image ID is the digest of the image's config: judged here, before loading, so an archive
 * holding another image is never loaded. (Refused after loading, it was removed again, and with
 * it an image of the same ID the admin already had.)
 */
async function sameImage(fh: FileHandle, byName: Map<string, TarEntry>, config: string, expectedId: string) {
  const e = byName.get(cleanName(config));
  if (e?.type !== 'file' || e.size > MAX_INDEX)
    throw bad(`its image config ${config} is missing or too large`);
  const id = sha256(await readAt(fh, e.offset, e.size));
  if (id !== expectedId) throw mismatch(id, expectedId);
}

const mismatch = (id: string, expectedId: string) =>
  new VerificationError(
    `The image in the module's archive is ${id}, but the signed manifest says ${expectedId}`,
    'image-digest-mismatch',
    'The package was tampered with or built wrongly; nothing was loaded. Rebuild it with `blueprint repo build`.',
  );

/** An OCI blob by digest, its bytes checked against it; parsed, or (`expectedId`) judged as the config. */
async function blobJson(fh: FileHandle, byName: Map<string, TarEntry>, digest: string, expectedId?: string) {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad(`it names a blob ${JSON.stringify(digest)}`);
  const path = `blobs/sha256/${digest.slice(7)}`;
  if (expectedId !== undefined) {
    // The engine names the image by the config digest the manifest gives, and checks the blob.
    if (digest !== expectedId) throw mismatch(digest, expectedId);
    return sameImage(fh, byName, path, expectedId);
  }
  const e = byName.get(path);
  if (e?.type !== 'file' || e.size > MAX_INDEX) throw bad(`its blob ${digest} is missing or too large`);
  const bytes = await readAt(fh, e.offset, e.size);
  if (sha256(bytes) !== digest) throw bad(`its blob ${digest} does not match its digest`);
  return parseJson(fh, e);
}

const oneImage = (n: number) =>
  new VerificationError(
    `The module's image archive holds ${n} images; a module's holds the one its signed manifest names`,
    'image-archive-images',
    'Nothing was loaded. Rebuild the module with `blueprint repo build`, or report it to its publisher.',
  );

/**
 * The archive's entries with its own tags taken off: docker-archive `manifest.json` without
 * `RepoTags` and no `repositories`, OCI `index.json` without ref names. Refuses an archive of
 * neither kind or both, and one of more (or fewer) than one image.
 */
export async function untaggedArchive(
  fh: FileHandle,
  expectedId: string,
): Promise<{ entries: TarEntry[]; replaced: Map<string, Buffer> }> {
  const entries = await listTar(fh);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const docker = byName.get('manifest.json');
  const oci = byName.get('index.json');
  if (!docker === !oci)
    throw bad(
      docker
        ? 'it is both a docker-archive and an OCI archive'
        : 'it has neither manifest.json nor index.json',
    );
  const replaced = new Map<string, Buffer>();
  if (docker) {
    const list = await parseJson(fh, docker);
    if (!Array.isArray(list)) throw bad('manifest.json is not a list');
    if (list.length !== 1) throw oneImage(list.length);
    const { RepoTags: _tags, ...item } = list[0] as Record<string, unknown>;
    await sameImage(fh, byName, String(item.Config), expectedId);
    replaced.set('manifest.json', Buffer.from(JSON.stringify([{ ...item, RepoTags: [] }])));
  } else {
    const index = (await parseJson(fh, oci!)) as { manifests?: unknown } | null;
    const manifests = index?.manifests;
    if (!Array.isArray(manifests)) throw bad('index.json lists no manifests');
    if (manifests.length !== 1) throw oneImage(manifests.length);
    const desc = manifests[0] as { mediaType?: string; annotations?: Record<string, string> };
    // An index inside the index is a list of images (one per platform...): more than one.
    if (!MANIFEST_TYPES.has(String(desc?.mediaType)))
      throw bad(`index.json names a ${String(desc?.mediaType)}, not one image`);
    const manifest = (await blobJson(fh, byName, String((desc as { digest?: unknown }).digest))) as {
      config?: { digest?: unknown };
    } | null;
    await blobJson(fh, byName, String(manifest?.config?.digest), expectedId);
    const { 'org.opencontainers.image.ref.name': _ref, ...annotations } = desc.annotations ?? {};
    replaced.set(
      'index.json',
      Buffer.from(JSON.stringify({ ...index, manifests: [{ ...desc, annotations }] })),
    );
  }
  return { entries: entries.filter((e) => e.name !== 'repositories'), replaced };
}

function header(name: string, flag: string, mode: number, size: number, linkname: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  if (size < 8 ** 11) h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  else {
    h[124] = 0x80;
    for (let i = 135, n = size; i > 124; i--, n = Math.floor(n / 256)) h[i] = n % 256;
  }
  h.write('00000000000\0', 136);
  h.write(flag, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const FLAGS = { file: '0', dir: '5', symlink: '2' } as const;
const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

function paxFor(e: TarEntry): Buffer[] {
  const long = (s: string) => Buffer.byteLength(s) > 99;
  if (!long(e.name) && !long(e.linkname)) return [];
  const rec = (k: string, v: string) => {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len)
      len = String(len).length + Buffer.byteLength(body);
    return `${len}${body}`;
  };
  const data = Buffer.from(rec('path', e.name) + (e.linkname ? rec('linkpath', e.linkname) : ''));
  return [header('PaxHeader', 'x', 0o644, data.length, ''), data, pad(data.length)];
}

/** The tar the engine gets: `entries` as listed, `replaced` ones with the bytes given. */
export function writeTar(fh: FileHandle, entries: TarEntry[], replaced: Map<string, Buffer>): Readable {
  async function* chunks() {
    for (const e of entries) {
      const body = replaced.get(e.name);
      const size = body ? body.length : e.size;
      yield* paxFor(e);
      yield header(e.name, FLAGS[e.type], e.mode, size, e.linkname);
      if (body) yield body;
      else
        for (let done = 0; done < size; ) {
          const n = Math.min(size - done, 1 << 20);
          yield await readAt(fh, e.offset + done, n);
          done += n;
        }
      yield pad(size);
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(chunks(), { objectMode: false });
}
