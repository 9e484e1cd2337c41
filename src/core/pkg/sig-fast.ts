import type { Hash } from 'node:crypto';
import { liteCrypto, verifyEd25519Jwk } from './crypto-lite.js';
import type { SignatureCheck } from './signature.js';

/**
 * A trusted key as the keyring cache keeps it (keyring-cache.ts): its primary Ed25519 key, and the
 * span in which OpenPGP.js found it valid for signing. Only keys of one plain shape are kept so (one
 * user ID, one self-signature, no revocation, nothing dated after the cache was made), for which
 * validity at a date is exactly `validFrom <= date < validUntil`.
 */
export interface FastKey {
  /** Primary key fingerprint, lower-case hex. */
  fingerprint: string;
  /** Its key ID (the fingerprint's last 16 hex digits). */
  keyId: string;
  /** 22: EdDSA (legacy, Ed25519 curve); 27: Ed25519. */
  algorithm: 22 | 27;
  /** The raw 32-byte Ed25519 public key, hex. */
  publicKey: string;
  /** ms since the epoch: the key's creation or its self-signature's, whichever is later. */
  validFrom: number;
  /** ms since the epoch when it expires; null: never. */
  validUntil: number | null;
}

const HASHES: Record<number, string> = { 8: 'sha256', 9: 'sha384', 10: 'sha512' };

/**
 * A detached signature checked without OpenPGP.js (whose load alone is most of a `bpkg update`):
 * one v4 signature packet over binary data, by the primary key of a cached trusted key, with
 * SHA-256/384/512, and no subpacket beyond creation time and issuer. The check is the same
 * cryptography (RFC 4880 5.2.4: the digest of data || hashed part || 0x04 0xFF || its length, its
 * leading 16 bits, then Ed25519 over the digest, as OpenPGP.js does) and the same judgement of
 * time (signed within the key's validity, not in the future, the key valid now). Returns the
 * check only when all of that holds; undefined for anything else, good or bad, and the caller then
 * asks OpenPGP.js (signature.ts), which accepts or refuses with its reasons. So this can only
 * accept what OpenPGP.js accepts, never refuse what it would.
 */
export function verifyDetachedFast(
  data: Uint8Array,
  signature: Uint8Array,
  keys: FastKey[],
  now: Date,
): SignatureCheck | undefined {
  return verifyAndHash(data, signature, keys, now, false)?.check;
}

/**
 * verifyDetachedFast, with the SHA-256 of `data` beside the check: taken from the signature's own
 * digest on its way when that is SHA-256 (one pass over the bytes instead of two: an unchanged
 * `bpkg update` compares it with the kept index's), computed apart otherwise; not at all without
 * `withSha256`.
 */
export function verifyAndHash(
  data: Uint8Array,
  signature: Uint8Array,
  keys: FastKey[],
  now: Date,
  withSha256 = true,
): { check: SignatureCheck; sha256?: string } | undefined {
  const fast = fastSignature(signature, keys, now);
  if (!fast) return undefined;
  // Node's crypto binding (crypto-lite.ts): this module is in the executable's start part (index-cache.ts).
  const { createHash } = liteCrypto();
  const hash = createHash(fast.hash).update(data);
  const sha256 = !withSha256
    ? undefined
    : (fast.hash === 'sha256' ? hash.copy() : createHash('sha256').update(data)).digest('hex');
  const check = fast.verify(hash);
  return check && { check, sha256 };
}

/**
 * verifyDetachedFast in two steps, for data hashed while it streams (install-stream.ts): the
 * signature and the key judged first (`hash`: the hash to feed with the data), then `verify` with
 * that hash fed with every byte (it is updated further: give a copy). Undefined, and `verify`'s
 * undefined, as verifyDetachedFast's: not accepted here, ask OpenPGP.js.
 */
export function fastSignature(
  signature: Uint8Array,
  keys: FastKey[],
  now: Date,
): { hash: string; verify: (hashedData: Hash) => SignatureCheck | undefined } | undefined {
  if (keys.length === 0) return undefined;
  try {
    const body = signaturePacket(signature);
    if (!body) return undefined;
    const sig = parseV4(body);
    if (!sig) return undefined;
    const matching = keys.filter(
      (k) =>
        k.keyId === sig.issuer &&
        k.algorithm === sig.algorithm &&
        (sig.issuerFingerprint === undefined || k.fingerprint === sig.issuerFingerprint),
    );
    if (matching.length !== 1) return undefined;
    const key = matching[0]!;
    const t = now.getTime();
    const created = sig.created * 1000;
    const validAt = (ms: number) => key.validFrom <= ms && (key.validUntil === null || ms < key.validUntil);
    if (created > t || !validAt(created) || !validAt(t)) return undefined;
    const verify = (hashed: Hash): SignatureCheck | undefined => {
      try {
        const trailer = Buffer.alloc(6);
        trailer[0] = 4;
        trailer[1] = 0xff;
        trailer.writeUInt32BE(sig.hashedPart.length, 2);
        const digest = hashed.update(sig.hashedPart).update(trailer).digest();
        if (digest[0] !== sig.left16[0] || digest[1] !== sig.left16[1]) return undefined;
        if (!ed25519Verify(Buffer.from(key.publicKey, 'hex'), digest, sig.rs)) return undefined;
        return { signer: key.fingerprint, created: new Date(created) };
      } catch {
        return undefined;
      }
    };
    return { hash: sig.hash, verify };
  } catch {
    return undefined;
  }
}

/** The body of the one signature packet (tag 2) the file holds, armored or binary; else undefined. */
function signaturePacket(file: Uint8Array): Buffer | undefined {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const binary = bytes[0] === 0x2d ? unarmor(bytes.toString('latin1'), 'SIGNATURE') : bytes;
  const packets = binary && packetsOf(binary);
  return packets?.length === 1 && packets[0]!.tag === 2 ? packets[0]!.body : undefined;
}

/**
 * The packets of a binary OpenPGP file (RFC 4880, 4.2), in order; undefined when one is malformed,
 * has a partial length (not a plain key or signature) or runs past the end.
 */
export function packetsOf(binary: Buffer): { tag: number; body: Buffer }[] | undefined {
  const out: { tag: number; body: Buffer }[] = [];
  let at = 0;
  while (at < binary.length) {
    if (at + 2 > binary.length) return undefined;
    const h = binary[at]!;
    let tag: number;
    let len: number;
    let start: number;
    if ((h & 0xc0) === 0xc0) {
      tag = h & 0x3f;
      const b1 = binary[at + 1]!;
      if (b1 < 192) [len, start] = [b1, at + 2];
      else if (b1 < 224) {
        if (at + 3 > binary.length) return undefined;
        [len, start] = [((b1 - 192) << 8) + binary[at + 2]! + 192, at + 3];
      } else if (b1 === 255) {
        if (at + 6 > binary.length) return undefined;
        [len, start] = [binary.readUInt32BE(at + 2), at + 6];
      } else return undefined; // a partial length
    } else if ((h & 0xc0) === 0x80) {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      const n = [1, 2, 4][lt];
      if (n === undefined || at + 1 + n > binary.length) return undefined; // 3: indeterminate length
      len = binary.readUIntBE(at + 1, n);
      start = at + 1 + n;
    } else return undefined;
    if (start + len > binary.length) return undefined;
    out.push({ tag, body: binary.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

/** The bytes of an armored block (RFC 4880, 6.2) of this kind, its CRC-24 checked when given; else undefined. */
export function unarmor(text: string, kind: 'SIGNATURE' | 'PUBLIC KEY BLOCK'): Buffer | undefined {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== `-----BEGIN PGP ${kind}-----` || lines[lines.length - 1] !== `-----END PGP ${kind}-----`)
    return undefined;
  let i = 1;
  while (i < lines.length && lines[i] !== '') {
    if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(lines[i]!)) return undefined;
    i++;
  }
  const body: string[] = [];
  let crc: string | undefined;
  for (i++; i < lines.length - 1; i++) {
    const l = lines[i]!;
    if (/^=[A-Za-z0-9+/]{4}$/.test(l) && i === lines.length - 2) crc = l.slice(1);
    else if (/^[A-Za-z0-9+/]+={0,2}$/.test(l)) body.push(l);
    else return undefined;
  }
  const bytes = Buffer.from(body.join(''), 'base64');
  if (crc !== undefined && Buffer.from(crc, 'base64').readUIntBE(0, 3) !== crc24(bytes)) return undefined;
  return bytes;
}

function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let j = 0; j < 8; j++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

interface ParsedSignature {
  algorithm: 22 | 27;
  hash: string;
  /** Seconds since the epoch. */
  created: number;
  issuer: string;
  issuerFingerprint?: string;
  /** The hashed subpackets, for a caller that reads more of them (key-fast.ts). */
  hashed: Subpacket[];
  hashedPart: Buffer;
  left16: Buffer;
  rs: Buffer;
}

/**
 * A v4 signature of type `types` (a binary document: 0x00) of the one plain shape taken here; else
 * undefined. `more`: hashed subpackets the caller reads itself (key-fast.ts: key flags, key
 * expiration, preferences), taken only in the hashed part, where OpenPGP.js reads them.
 */
export function parseV4(
  b: Buffer,
  types: readonly number[] = [0x00],
  more: (s: Subpacket) => boolean = () => false,
): ParsedSignature | undefined {
  if (b.length < 10 || b[0] !== 4 || !types.includes(b[1]!)) return undefined;
  const algorithm = b[2];
  const hash = HASHES[b[3]!];
  if ((algorithm !== 22 && algorithm !== 27) || !hash) return undefined;
  const hashedLen = b.readUInt16BE(4);
  const hashedEnd = 6 + hashedLen;
  if (hashedEnd + 2 > b.length) return undefined;
  const hashed = subpackets(b.subarray(6, hashedEnd));
  const unhashedLen = b.readUInt16BE(hashedEnd);
  const unhashedEnd = hashedEnd + 2 + unhashedLen;
  if (unhashedEnd + 2 > b.length) return undefined;
  const unhashed = subpackets(b.subarray(hashedEnd + 2, unhashedEnd));
  if (!hashed || !unhashed) return undefined;
  // Creation time: exactly one, hashed. Issuer (key ID or v4 fingerprint) hashed or not, all agreeing.
  const created = hashed.filter((s) => s.type === 2);
  if (created.length !== 1 || created[0]!.data.length !== 4 || unhashed.some((s) => s.type === 2))
    return undefined;
  let issuer: string | undefined;
  let issuerFingerprint: string | undefined;
  for (const s of [...hashed, ...unhashed]) {
    if (s.type === 2) continue;
    // A notation (OpenPGP.js salts its signatures with one) that is not critical means nothing to
    // the check: OpenPGP.js ignores it too. A critical one is left to OpenPGP.js.
    if (s.type === 20 && !s.critical) continue;
    if (hashed.includes(s) && more(s)) continue;
    let id: string;
    if (s.type === 16 && s.data.length === 8) id = s.data.toString('hex');
    else if (s.type === 33 && s.data.length === 21 && s.data[0] === 4) {
      const fpr = s.data.subarray(1).toString('hex');
      if (issuerFingerprint !== undefined && issuerFingerprint !== fpr) return undefined;
      issuerFingerprint = fpr;
      id = fpr.slice(-16);
    } else return undefined;
    if (issuer !== undefined && issuer !== id) return undefined;
    issuer = id;
  }
  if (issuer === undefined) return undefined;
  const left16 = b.subarray(unhashedEnd, unhashedEnd + 2);
  let rs: Buffer;
  let at = unhashedEnd + 2;
  if (algorithm === 27) {
    rs = b.subarray(at, at + 64);
    at += 64;
  } else {
    // Two MPIs, each left-padded to 32 bytes as OpenPGP.js pads them (a value with leading zero
    // bits is written shorter: about 1 signature in 128); a longer one it refuses.
    const parts: Buffer[] = [];
    for (let k = 0; k < 2; k++) {
      if (at + 2 > b.length) return undefined;
      const bits = b.readUInt16BE(at);
      const n = (bits + 7) >> 3;
      if (n > 32 || at + 2 + n > b.length) return undefined;
      parts.push(Buffer.alloc(32 - n), b.subarray(at + 2, at + 2 + n));
      at += 2 + n;
    }
    rs = Buffer.concat(parts);
  }
  if (rs.length !== 64 || at !== b.length) return undefined;
  return {
    algorithm,
    hash,
    created: created[0]!.data.readUInt32BE(0),
    issuer,
    ...(issuerFingerprint ? { issuerFingerprint } : {}),
    hashed,
    hashedPart: b.subarray(0, hashedEnd),
    left16,
    rs,
  };
}

export interface Subpacket {
  type: number;
  critical: boolean;
  data: Buffer;
}

/** Signature subpackets (RFC 4880, 5.2.3.1), or undefined when malformed. */
export function subpackets(b: Buffer): Subpacket[] | undefined {
  const out: Subpacket[] = [];
  let at = 0;
  while (at < b.length) {
    const o = b[at]!;
    let len: number;
    if (o < 192) [len, at] = [o, at + 1];
    else if (o < 255) {
      if (at + 2 > b.length) return undefined;
      [len, at] = [((o - 192) << 8) + b[at + 1]! + 192, at + 2];
    } else {
      if (at + 5 > b.length) return undefined;
      [len, at] = [b.readUInt32BE(at + 1), at + 5];
    }
    if (len < 1 || at + len > b.length) return undefined;
    out.push({ type: b[at]! & 0x7f, critical: (b[at]! & 0x80) !== 0, data: b.subarray(at + 1, at + len) });
    at += len;
  }
  return out;
}

/**
 * Ed25519 over `digest` by the raw 32-byte public key, as OpenPGP.js checks EdDSA (the digest is the
 * message). The key is given to node:crypto as a JWK, which it makes from the raw bytes directly
 * (and refuses unless they are 32): as DER (SPKI) it went through OpenSSL's decoders, ~0.5 ms more
 * of the first check in a process (a cold `bpkg update`, issue 20), and took bytes past the 32nd.
 */
export function ed25519Verify(publicKey: Buffer, digest: Buffer, rs: Buffer): boolean {
  if (publicKey.length !== 32) return false;
  // node:crypto's verify, from Node's crypto binding in the executable (crypto-lite.ts).
  return verifyEd25519Jwk({ kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, digest, rs);
}
