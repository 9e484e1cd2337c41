import { gzipSync } from 'node:zlib';

/**
 * A tar writer that does exactly what it is told, including what no honest tool would write:
 * any type flag, any size field (octal or base-256, true or not), PAX and GNU long names, raw
 * bytes patched into a header after the checksum. node-tar's own writer refuses most of that.
 */
export interface RawEntry {
  path: string;
  /** Tar type flag: '0' file, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' fifo, '7' contiguous, or anything. */
  type: string;
  data?: Buffer;
  linkpath?: string;
  mode?: number;
  /** The size field as written, when it should lie about the data that follows. */
  declaredSize?: number | bigint;
  /** How long names travel: PAX records (default when too long), GNU L/K entries, or the ustar prefix. */
  longNames?: 'pax' | 'gnu';
  /** Extra PAX records, e.g. { size: '99999999999' } or a path with a NUL in it. */
  pax?: Record<string, string>;
  /** Bytes written over the finished header: [offset, bytes]. */
  patch?: Array<[number, number[]]>;
  /** Recompute the checksum after patching (else the header is corrupt too). */
  fixChecksum?: boolean;
}

function field(buf: Buffer, off: number, len: number, text: string) {
  Buffer.from(text, 'latin1').copy(buf, off, 0, len);
}

function octal(buf: Buffer, off: number, len: number, n: number | bigint) {
  const big = BigInt(n);
  if (big >= 0n && big < 8n ** BigInt(len - 1)) {
    field(buf, off, len, `${big.toString(8).padStart(len - 1, '0')}\0`);
    return;
  }
  // GNU base-256: high bit set, two's complement big-endian in the rest of the field.
  let v = BigInt.asUintN((len - 1) * 8, big);
  buf[off] = big < 0n ? 0xff : 0x80;
  for (let i = len - 1; i >= 1; i--) {
    buf[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function checksum(h: Buffer) {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
}

function header(name: string, type: string, size: number | bigint, linkpath = '', mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  // Split a long ustar name at a slash into prefix (155) + name (100) when it fits.
  let prefix = '';
  let rest = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut > 0 && Buffer.byteLength(name.slice(cut + 1)) <= 100) {
      prefix = name.slice(0, cut);
      rest = name.slice(cut + 1);
    }
  }
  field(h, 0, 100, rest);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0);
  field(h, 156, 1, type);
  field(h, 157, 100, linkpath);
  field(h, 257, 8, 'ustar\x0000');
  field(h, 265, 32, 'root');
  field(h, 297, 32, 'root');
  octal(h, 329, 8, 1);
  octal(h, 337, 8, 3);
  field(h, 345, 155, prefix);
  checksum(h);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

function withBody(h: Buffer, body: Buffer): Buffer[] {
  return [h, body, pad(body.length)];
}

function paxRecords(records: Record<string, string>): Buffer {
  const parts = Object.entries(records).map(([k, v]) => {
    const inner = ` ${k}=${v}\n`;
    // The length prefix counts itself.
    let len = Buffer.byteLength(inner) + 1;
    while (String(len).length + Buffer.byteLength(inner) !== len)
      len = String(len).length + Buffer.byteLength(inner);
    return Buffer.from(`${len}${inner}`, 'utf8');
  });
  return Buffer.concat(parts);
}

export function tarBytes(entries: RawEntry[], { gzip = false, eof = true } = {}): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const long = Buffer.byteLength(e.path) > 100 || Buffer.byteLength(e.linkpath ?? '') > 100;
    const pax: Record<string, string> = { ...e.pax };
    if (long && e.longNames === 'gnu') {
      if (Buffer.byteLength(e.path) > 100) {
        const b = Buffer.from(`${e.path}\0`);
        out.push(...withBody(header('././@LongLink', 'L', b.length), b));
      }
      if (Buffer.byteLength(e.linkpath ?? '') > 100) {
        const b = Buffer.from(`${e.linkpath}\0`);
        out.push(...withBody(header('././@LongLink', 'K', b.length), b));
      }
    } else if (long) {
      pax.path ??= e.path;
      if (e.linkpath) pax.linkpath ??= e.linkpath;
    }
    if (Object.keys(pax).length) {
      const b = paxRecords(pax);
      out.push(...withBody(header(`PaxHeader/${e.path.slice(0, 80)}`, 'x', b.length), b));
    }
    const h = header(
      e.path,
      e.type,
      e.declaredSize ?? (['0', '7', '\0'].includes(e.type) ? data.length : 0),
      e.linkpath ?? '',
      e.mode ?? (e.type === '5' ? 0o755 : 0o644),
    );
    for (const [off, bytes] of e.patch ?? []) Buffer.from(bytes).copy(h, off % 512);
    if (e.fixChecksum ?? true) checksum(h);
    out.push(h);
    if (data.length) out.push(data, pad(data.length));
  }
  if (eof) out.push(Buffer.alloc(1024));
  const tar = Buffer.concat(out);
  return gzip ? gzipSync(tar) : tar;
}
