/**
 * An uploaded zip archive (a Word .docx, an OpenDocument .odt) read in memory by jszip (the zip
 * reader mammoth itself uses), under caps that a hostile archive cannot talk its way past:
 *
 * - entries: at most MAX_ZIP_ENTRIES (an Office document has a few dozen, a few hundred with
 *   pictures), bounded by the central directory records in the upload before jszip lists any
 *   (32 MiB of bare records would be ~700,000, and jszip's list of them over a GiB of heap);
 * - inflated bytes: the entries read (the document's XML, never its pictures) inflate to at most
 *   `maxInflatedBytes` together, counted as jszip's inflater hands out each 16 KiB piece, not from
 *   the sizes the archive claims. Entries that share their compressed bytes (the "overlapping
 *   files" zip bomb) count once per read, so they too stay within the cap.
 *
 * Nothing is written to disk, so an entry's name (absolute, `..`, a link's) is only a key here.
 * The time budget (budget.ts) is checked as each piece arrives: jszip inflates 16 KiB of input per
 * turn of the event loop, so a deflate bomb ends at the budget, not when it has inflated.
 */
import JSZip from 'jszip';
import { ParseError } from './parse-result.js';

export const MAX_ZIP_ENTRIES = 10_000;

/** jszip's stream of one entry's bytes (public in jszip, missing from its type declarations). */
interface EntryStream {
  on(event: 'data', fn: (piece: Uint8Array) => void): EntryStream;
  on(event: 'error', fn: (err: Error) => void): EntryStream;
  on(event: 'end', fn: () => void): EntryStream;
  resume(): EntryStream;
  pause(): EntryStream;
}

/** The first bytes of every zip archive with entries: a local file header, "PK\3\4". */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  );
}

export interface ZipLimits {
  maxInflatedBytes: number;
  /** What a read past the cap throws (the caller's 413, naming its setting). */
  tooLarge(): Error;
  /** Throws the parse budget's 413 once it has passed (budget.ts). */
  checkTime(): void;
  /** Runs a synchronous parse, stopped at the budget's end (budget.ts, syncWithin). */
  within<T>(fn: () => T): T;
}

/** The archive, as mammoth's `{file}` input expects one (exists, read). */
export interface BoundedZip {
  names(): string[];
  exists(name: string): boolean;
  read(name: string, encoding?: string): Promise<Uint8Array | string>;
  readText(name: string): Promise<string>;
}

/** The central directory's record signature, "PK\1\2": each entry jszip lists begins with one. */
const CENTRAL_RECORD = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

/**
 * An upper bound on the entries jszip can list: it walks the central directory record by record,
 * whatever the end record claims, and every record starts with CENTRAL_RECORD. Counted over the
 * whole upload (a chance match in compressed data only raises the bound: 2^-32 a byte).
 */
function centralRecordsAtMost(bytes: Uint8Array, stopAfter: number): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let i = buf.indexOf(CENTRAL_RECORD); i >= 0 && n <= stopAfter; i = buf.indexOf(CENTRAL_RECORD, i + 4))
    n++;
  return n;
}

export async function openZip(bytes: Uint8Array, what: string, limits: ZipLimits): Promise<BoundedZip> {
  // Before jszip reads the directory: it keeps ~1.6 KiB of heap an entry (300,000 empty entries, a
  // 24 MiB upload, took 483 MiB in one process, near the large worker's 512 and five times the
  // small one's 96; the rag bundle refused them after 2.8 s, now 0.28).
  if (centralRecordsAtMost(bytes, MAX_ZIP_ENTRIES) > MAX_ZIP_ENTRIES)
    throw new ParseError(
      413,
      `the ${what} holds more than ${MAX_ZIP_ENTRIES} zip entries, the most a document may have`,
    );
  let zip: JSZip;
  try {
    // No CRC check: a CRC mismatch throws only after the whole entry inflated; the caps bound it.
    zip = await JSZip.loadAsync(bytes, { checkCRC32: false, createFolders: false });
  } catch (err) {
    throw new ParseError(
      400,
      `not a readable ${what}: its zip archive is broken (${(err as Error).message})`,
    );
  }
  limits.checkTime();
  const files = Object.values(zip.files).filter((f) => !f.dir);
  if (Object.keys(zip.files).length > MAX_ZIP_ENTRIES)
    throw new ParseError(
      413,
      `the ${what} holds ${Object.keys(zip.files).length} zip entries, more than the ${MAX_ZIP_ENTRIES} a document may have`,
    );
  const byName = new Map(files.map((f) => [f.name, f]));
  let left = limits.maxInflatedBytes;

  const inflate = (name: string): Promise<Uint8Array> => {
    const file = byName.get(name);
    if (!file) return Promise.reject(new ParseError(400, `not a readable ${what}: it has no ${name}`));
    return new Promise((resolve, reject) => {
      const pieces: Uint8Array[] = [];
      let size = 0;
      let done = false;
      const stream = (file as unknown as { internalStream(type: 'uint8array'): EntryStream }).internalStream(
        'uint8array',
      );
      const fail = (err: Error) => {
        if (done) return;
        done = true;
        stream.pause(); // jszip's workers stop pulling; the rest is never inflated
        pieces.length = 0;
        reject(err);
      };
      stream
        .on('data', (piece: Uint8Array) => {
          if (done) return;
          size += piece.byteLength;
          left -= piece.byteLength;
          if (left < 0) return fail(limits.tooLarge());
          try {
            limits.checkTime();
          } catch (err) {
            return fail(err as Error);
          }
          pieces.push(piece);
        })
        .on('error', (err: Error) =>
          fail(
            err instanceof ParseError
              ? err
              : new ParseError(400, `not a readable ${what}: its entry ${name} is broken (${err.message})`),
          ),
        )
        .on('end', () => {
          if (done) return;
          done = true;
          resolve(Buffer.concat(pieces, size));
        })
        .resume();
    });
  };

  const utf8 = new TextDecoder('utf-8', { fatal: false });
  return {
    names: () => [...byName.keys()],
    exists: (name) => byName.has(name),
    async read(name, encoding) {
      const data = await inflate(name);
      if (encoding === 'base64') return Buffer.from(data).toString('base64');
      if (encoding) return new TextDecoder(encoding).decode(data);
      return data;
    },
    async readText(name) {
      return utf8.decode(await inflate(name));
    },
  };
}
