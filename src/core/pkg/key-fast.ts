import type { CachedKey } from './keyring-cache.js';
import { nodeCrypto, nodeFs } from './node-lazy.js';
import { ed25519Verify, packetsOf, parseV4, type Subpacket, unarmor } from './sig-fast.js';

/**
 * Trusted keys judged without OpenPGP.js, for the one plain shape sig-fast.ts checks signatures by
 * (what `repo keygen` and `gpg --quick-gen-key … ed25519` make): a v4 Ed25519 primary key, one
 * user ID with one self-signature that verifies, key flags that allow signing, no revocation, no
 * direct-key or third-party signature, nothing dated after the judgement, valid now; subkeys are
 * allowed (a signature by the primary key never uses them). Such a key's judgement is what
 * keyring-cache-write.ts's `cachedKey` makes of it with OpenPGP.js (test/pkg/key-fast.test.ts holds the
 * two to the same answer). Anything else, good or bad, is undefined: the Keyring then asks
 * OpenPGP.js, as before. A box's first `bpkg update` (whose keys no cache holds yet) then loads
 * no OpenPGP.js at all (issue 20).
 */

/** User-ID certifications (generic, persona, casual, positive). */
const CERTIFICATIONS = [0x10, 0x11, 0x12, 0x13];
/**
 * Hashed subpackets a self-signature may carry here: key expiration (9) and key flags (27), read
 * below; preferences (11, 21, 22, 34, 39), key server preferences (23), primary user ID (25) and
 * features (30), which say nothing about whether the key may sign. Only 9 and 27 may be critical.
 * Anything else (a signature expiration, a designated revoker, a policy…) is left to OpenPGP.js.
 */
const CERT_SUBPACKETS = new Set([9, 11, 21, 22, 23, 25, 27, 30, 34, 39]);
const certSubpacket = (s: Subpacket) =>
  CERT_SUBPACKETS.has(s.type) && (!s.critical || s.type === 9 || s.type === 27);
/** The EdDSA (legacy) curve OID of Ed25519, and Curve25519's for an ECDH subkey. */
const ED25519_OID = Buffer.from('2b06010401da470f01', 'hex');
const CV25519_OID = Buffer.from('2b060104019755010501', 'hex');

interface KeyPacket {
  created: number;
  algorithm: 22 | 27;
  publicKey: Buffer;
}

/** A v4 Ed25519 public key packet (legacy EdDSA with its 0x40-prefixed point, or RFC 9580's 27); else undefined. */
function ed25519Packet(b: Buffer): KeyPacket | undefined {
  if (b.length < 6 || b[0] !== 4) return undefined;
  const created = b.readUInt32BE(1);
  if (b[5] === 27 && b.length === 38) return { created, algorithm: 27, publicKey: b.subarray(6) };
  if (
    b[5] === 22 &&
    b.length === 51 &&
    b[6] === ED25519_OID.length &&
    b.subarray(7, 16).equals(ED25519_OID) &&
    b.readUInt16BE(16) === 263 &&
    b[18] === 0x40
  )
    return { created, algorithm: 22, publicKey: b.subarray(19) };
  return undefined;
}

/** A v4 subkey packet of a shape OpenPGP.js reads (X25519 for encryption, or Ed25519): its creation time. */
function subkeyCreated(b: Buffer): number | undefined {
  const ed = ed25519Packet(b);
  if (ed) return ed.created;
  if (b.length < 6 || b[0] !== 4) return undefined;
  // ECDH on Curve25519 (legacy): OID, the 0x40-prefixed point, then the KDF parameters (03 01 hash cipher).
  const ecdh =
    b[5] === 18 &&
    b.length === 56 &&
    b[6] === CV25519_OID.length &&
    b.subarray(7, 17).equals(CV25519_OID) &&
    b.readUInt16BE(17) === 263 &&
    b[19] === 0x40 &&
    b[52] === 3 &&
    b[53] === 1;
  const x25519 = b[5] === 25 && b.length === 38;
  return ecdh || x25519 ? b.readUInt32BE(1) : undefined;
}

const sha1 = (...parts: Buffer[]) => {
  const h = nodeCrypto().createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
/** The 0x99, two-octet length prefix a v4 key packet is hashed with (fingerprint, certifications). */
const keyForHash = (body: Buffer) => {
  const head = Buffer.from([0x99, 0, 0]);
  head.writeUInt16BE(body.length, 1);
  return head;
};

/** The key `armored` holds, as keyring-cache-write.ts's `cachedKey` judges it at `at`; undefined when it is not of the plain shape. */
export function judgeKeyFast(armored: string, at: Date): CachedKey | undefined {
  try {
    const binary = unarmor(armored, 'PUBLIC KEY BLOCK');
    const packets = binary && packetsOf(binary);
    if (!packets || packets.length < 3 || (packets.length - 3) % 2 !== 0) return undefined;
    const [keyP, uidP, certP] = packets as [(typeof packets)[0], (typeof packets)[0], (typeof packets)[0]];
    if (keyP.tag !== 6 || uidP.tag !== 13 || certP.tag !== 2) return undefined;
    const key = ed25519Packet(keyP.body);
    if (!key) return undefined;
    const { isUtf8 } = process.getBuiltinModule('node:buffer');
    if (!isUtf8(uidP.body)) return undefined;
    const fingerprint = sha1(keyForHash(keyP.body), keyP.body);
    const keyId = fingerprint.slice(-16);
    const cert = parseV4(certP.body, CERTIFICATIONS, certSubpacket);
    if (
      !cert ||
      cert.algorithm !== key.algorithm ||
      cert.issuer !== keyId ||
      (cert.issuerFingerprint !== undefined && cert.issuerFingerprint !== fingerprint)
    )
      return undefined;
    // Every date the key holds, as keyring-cache-write.ts's datesIn: key packets' and signatures'.
    const dates = [key.created, cert.created];
    for (let i = 3; i < packets.length; i += 2) {
      const sub = packets[i]!;
      const binding = packets[i + 1]!;
      const created = sub.tag === 14 ? subkeyCreated(sub.body) : undefined;
      const bound = binding.tag === 2 ? parseV4(binding.body, [0x18], certSubpacket) : undefined;
      if (created === undefined || !bound) return undefined;
      dates.push(created, bound.created);
    }
    const t = at.getTime();
    if (dates.some((d) => d * 1000 > t)) return undefined;
    // The self-signature (RFC 4880 5.2.4): key, user ID, hashed part, trailer; verified as sig-fast.ts does.
    const uidHead = Buffer.alloc(5);
    uidHead[0] = 0xb4;
    uidHead.writeUInt32BE(uidP.body.length, 1);
    const trailer = Buffer.alloc(6);
    trailer[0] = 4;
    trailer[1] = 0xff;
    trailer.writeUInt32BE(cert.hashedPart.length, 2);
    const digest = nodeCrypto()
      .createHash(cert.hash)
      .update(keyForHash(keyP.body))
      .update(keyP.body)
      .update(uidHead)
      .update(uidP.body)
      .update(cert.hashedPart)
      .update(trailer)
      .digest();
    if (digest[0] !== cert.left16[0] || digest[1] !== cert.left16[1]) return undefined;
    if (!ed25519Verify(key.publicKey, digest, cert.rs)) return undefined;
    // OpenPGP.js signs only with a key whose self-signature has key flags, one of them "sign data".
    const flags = cert.hashed.filter((s) => s.type === 27);
    const expiry = cert.hashed.filter((s) => s.type === 9);
    if (flags.length !== 1 || !((flags[0]!.data[0] ?? 0) & 0x02) || expiry.length > 1) return undefined;
    if (expiry[0] && expiry[0].data.length !== 4) return undefined;
    const seconds = expiry[0]?.data.readUInt32BE(0) ?? 0;
    const validFrom = Math.max(key.created, cert.created) * 1000;
    const validUntil = seconds ? (key.created + seconds) * 1000 : null;
    // Not valid now (expired): OpenPGP.js says why.
    if (!(validFrom <= t && (validUntil === null || t < validUntil))) return undefined;
    return {
      info: {
        fingerprint,
        userIds: [uidP.body.toString('utf8')],
        created: new Date(key.created * 1000).toISOString(),
        ...(validUntil !== null ? { expires: new Date(validUntil).toISOString() } : {}),
        revoked: false,
      },
      fast: {
        fingerprint,
        keyId,
        algorithm: key.algorithm,
        publicKey: key.publicKey.toString('hex'),
        validFrom,
        validUntil,
      },
    };
  } catch {
    return undefined;
  }
}

/**
 * The keys of `files` (one armored key each) judged here, the box's own local key (whose file is
 * `localKeyFile`) left out as the Keyring leaves it out; undefined when any of them, or the local
 * key, is not of the plain shape: then OpenPGP.js judges them all.
 */
export function judgeKeysFast(
  files: { name: string; text: string }[],
  localKeyFile: string,
  at: Date,
): CachedKey[] | undefined {
  let local: string | undefined;
  try {
    const { constants, readFileSync } = nodeFs();
    const text = readFileSync(localKeyFile, {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    });
    local = localFingerprint(text);
    if (!local) return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  const out: CachedKey[] = [];
  for (const f of files) {
    const k = judgeKeyFast(f.text, at);
    if (!k) return undefined;
    if (k.info.fingerprint !== local) out.push(k);
  }
  return out;
}

/** The fingerprint of the plain Ed25519 key `armored` opens with; undefined for anything else. */
function localFingerprint(armored: string): string | undefined {
  const binary = unarmor(armored, 'PUBLIC KEY BLOCK');
  const first = binary && packetsOf(binary)?.[0];
  return first?.tag === 6 && ed25519Packet(first.body) ? sha1(keyForHash(first.body), first.body) : undefined;
}
