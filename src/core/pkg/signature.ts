import { type FileHandle, open } from 'node:fs/promises';
import type * as OpenPGP from 'openpgp';
import { VerificationError } from '../errors.js';
import { canDigest, digestFile } from './file-digest.js';
import { showFingerprint } from './fingerprint-text.js';

/** The hint of a signature file that cannot be read as one. */
export const UNREADABLE_SIGNATURE =
  'The signature file is damaged or is not an OpenPGP signature: fetch the .asc file again from its publisher.';

/**
 * OpenPGP.js, loaded by the first function here that needs it: its 770 KB and its start-up work
 * (cipher tables) would otherwise cost every command that only reads the verified indexes
 * (`bpkg search`, `list`, `info`) ~60 ms. Every exported function awaits `pgp()` first.
 */
let openpgp: typeof OpenPGP;
async function pgp(): Promise<typeof OpenPGP> {
  openpgp ??= await import('openpgp');
  return openpgp;
}
export type PublicKey = OpenPGP.PublicKey;

export interface SignatureCheck {
  /** Fingerprint (lower-case hex) of the trusted primary key that made a good signature. */
  signer: string;
  /** Fingerprint of the signing subkey that made it, when not the primary key itself. */
  subkey?: string;
  created?: Date;
}

export async function readPublicKeys(armoredOrBinary: string | Uint8Array): Promise<OpenPGP.PublicKey[]> {
  // OpenPGP.js answers an empty input with what it asks of its caller ('must pass options object').
  if (armoredOrBinary.length === 0 || (typeof armoredOrBinary === 'string' && !armoredOrBinary.trim()))
    throw new VerificationError(
      'Not an OpenPGP public key: it is empty',
      'bad-key',
      'Export it with `gpg --export --armor FINGERPRINT`.',
    );
  await pgp();
  try {
    const keys =
      typeof armoredOrBinary === 'string'
        ? await openpgp.readKeys({ armoredKeys: armoredOrBinary })
        : await openpgp.readKeys({ binaryKeys: armoredOrBinary });
    return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as OpenPGP.PublicKey)));
  } catch (err) {
    throw new VerificationError(
      `Not an OpenPGP public key: ${(err as Error).message}`,
      'bad-key',
      'Export it with `gpg --export --armor FINGERPRINT`.',
    );
  }
}

async function readDetached(armored: string | Uint8Array): Promise<OpenPGP.Signature> {
  await pgp();
  try {
    return typeof armored === 'string' || Buffer.from(armored.subarray(0, 5)).toString() === '-----'
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(armored).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: armored });
  } catch (err) {
    throw new VerificationError(
      `Unreadable signature: ${(err as Error).message}`,
      'bad-signature',
      UNREADABLE_SIGNATURE,
    );
  }
}

/**
 * A file as a web stream of 4 MiB chunks read straight into fresh buffers. OpenPGP.js hashes each
 * chunk natively; with Node's Readable.toWeb adapter and 1 MiB chunks the stream plumbing cost
 * twice the hashing (measured on a 100 MB package).
 */
function fileChunks(file: string, chunkBytes = 4 * 1024 * 1024): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        handle = await open(file, 'r');
      },
      async pull(controller) {
        try {
          const buf = Buffer.allocUnsafe(chunkBytes);
          const { bytesRead } = await handle!.read(buf, 0, chunkBytes, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
          } else {
            controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
          }
        } catch (err) {
          await close();
          controller.error(err);
        }
      },
      cancel: close,
    },
    { highWaterMark: 2 },
  );
}

/** The signed data as an OpenPGP message: bytes, or a file streamed in chunks. */
async function messageOf(data: Uint8Array | { file: string }) {
  await pgp();
  return openpgp.createMessage({ binary: 'file' in data ? fileChunks(data.file) : data });
}

/** What of OpenPGP.js's signature packet this module relies on (not in its type definitions). */
interface SignaturePacketInternals {
  version: number;
  signatureType: number;
  hashAlgorithm: number;
  /** Version, type, algorithms and hashed subpackets: what the signature hashes after the data. */
  signatureData: Uint8Array;
  hashed?: Promise<Uint8Array>;
}

/**
 * Hands the hashing of a large signed file to a worker thread. A v4 signature over binary data
 * signs H(file || signature data || 0x04 0xFF || its length as 4 bytes) (RFC 4880, 5.2.4).
 * OpenPGP.js then checks the digest (its leading bytes, then the public-key signature) as it does
 * for one-pass signed messages, whose digest it also computes ahead (`hashed`). Other packet
 * versions or hashes keep the streamed path. Returns whether every packet was handed off (only
 * then may the message be left empty).
 */
function hashFileOffThread(
  sig: OpenPGP.Signature,
  digest: (hash: string, suffix: Uint8Array) => Promise<Uint8Array>,
): boolean {
  const packets = [...sig.packets] as unknown as SignaturePacketInternals[];
  const hashName = (p: SignaturePacketInternals) =>
    openpgp.enums.read(openpgp.enums.hash, p.hashAlgorithm) as string;
  const eligible = (p: SignaturePacketInternals) =>
    p.version === 4 &&
    p.signatureType === openpgp.enums.signature.binary &&
    p.signatureData instanceof Uint8Array &&
    canDigest(hashName(p));
  if (packets.length === 0 || !packets.every(eligible)) return false;
  for (const p of packets) {
    const trailer = Buffer.alloc(6);
    trailer.writeUInt8(4, 0);
    trailer.writeUInt8(0xff, 1);
    trailer.writeUInt32BE(p.signatureData.length, 2);
    p.hashed = digest(hashName(p), Buffer.concat([p.signatureData, trailer]));
    p.hashed.catch(() => {}); // awaited by verify(); a packet it skips must not fail the process
  }
  return true;
}

/** Why a trusted key cannot vouch for anything now: revoked or expired (judged today, not at signing time). */
export async function keyUnusableNow(
  key: OpenPGP.PublicKey,
  keyID: OpenPGP.KeyID,
  now: Date,
): Promise<string | undefined> {
  if (await key.isRevoked(undefined, undefined, now)) return 'revoked';
  const expires = await key.getExpirationTime();
  if (expires instanceof Date && expires.getTime() <= now.getTime())
    return `expired on ${expires.toISOString()}`;
  try {
    await key.getSigningKey(keyID, now);
  } catch (err) {
    return `its signing key is not valid now (${(err as Error).message})`;
  }
  return undefined;
}

/**
 * Verifies a detached signature over `data` (bytes or a file path, streamed) and requires at least
 * one good signature by a trusted key that is valid now. OpenPGP.js resolves verify() even for bad
 * signatures; only each `verified` promise rejects, so every one is awaited. Zero signature packets
 * is a failure, not a vacuous success.
 */
/**
 * What a detached signature covers: bytes, a file (hashed on a worker thread), or a digest the
 * caller computes itself (`digest(hash, suffix)`: the named hash of the data followed by
 * `suffix`), e.g. over the one stream it also unpacks (install-stream.ts). A signature whose
 * shape needs the data itself is refused for `digest` ('signature-unsupported').
 */
export type SignedData =
  | Uint8Array
  | { file: string }
  | { digest: (hash: string, suffix: Uint8Array) => Promise<Uint8Array> };

/**
 * The trusted keys a detached signature names, before any data is read: refused as verifyDetached
 * refuses (no signature in it, or no trusted key: `untrusted-signer`). `bpkg install --dry-run`
 * asks this of each package's signature alone, as the install would refuse it.
 */
export async function trustedSigners(
  signature: string | Uint8Array,
  trusted: OpenPGP.PublicKey[],
  what: string,
) {
  await pgp();
  const sig = await readDetached(signature);
  const ids = sig.getSigningKeyIDs();
  if (ids.length === 0)
    throw new VerificationError(`${what}: the signature file holds no signature`, 'no-signature');
  const signerKeys = trusted.filter((k) => ids.some((id) => k.getKeys(id).length > 0));
  if (signerKeys.length === 0)
    throw new VerificationError(
      `${what} is signed by an untrusted key (key ID ${ids.map((i) => showFingerprint(i.toHex())).join(', ')}: the last 16 hex digits of the signing key's fingerprint, or of a subkey's)`,
      'untrusted-signer',
      'Trust the publisher key with `bpkg key add FILE --fingerprint FPR` if you know it is right; `gpg --list-keys --with-subkey-fingerprints` shows which primary key holds a subkey.',
    );
  return { sig, signerKeys };
}

/**
 * The key IDs a detached signature says made it, read as verifyDetached reads it (unreadable:
 * 'bad-signature'; none: 'no-signature'). Rollback judges a kept version's signature with them
 * (signer-revoked.ts keptSigning): its data, the package file, is no longer on the box.
 */
export async function signingKeyIDs(signature: string | Uint8Array, what: string): Promise<OpenPGP.KeyID[]> {
  const ids = (await readDetached(signature)).getSigningKeyIDs();
  if (ids.length === 0)
    throw new VerificationError(`${what}: its signature holds no signature`, 'no-signature');
  return ids;
}

export async function verifyDetached(
  data: SignedData,
  signature: string | Uint8Array,
  trusted: OpenPGP.PublicKey[],
  what: string,
  now = new Date(),
): Promise<SignatureCheck> {
  const { sig, signerKeys } = await trustedSigners(signature, trusted, what);
  const named = (id: OpenPGP.KeyID) => keyNamed(signerKeys, id);
  const hashedElsewhere =
    'digest' in data
      ? hashFileOffThread(sig, data.digest)
      : 'file' in data && hashFileOffThread(sig, (h, suffix) => digestFile(data.file, h, suffix));
  if ('digest' in data && !hashedElsewhere)
    throw new VerificationError(
      `${what}: its signature is not of the shape checked while streaming (v4, SHA-2)`,
      'signature-unsupported',
    );
  const message = hashedElsewhere
    ? await openpgp.createMessage({ binary: new Uint8Array(0) })
    : await messageOf(data as Uint8Array | { file: string });
  const result = await openpgp.verify({
    message,
    signature: sig,
    verificationKeys: signerKeys,
    format: 'binary',
  });
  // With streamed input the data must be consumed before `verified` settles.
  if (result.data instanceof ReadableStream) {
    const reader = result.data.getReader();
    while (!(await reader.read()).done) {}
  }
  const problems: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
    } catch (err) {
      // OpenPGP.js refuses a revoked key before the signature's hash: said as keyUnusableNow says it.
      const revoked = /^(Primary key|Subkey) is revoked/.test((err as Error).message);
      problems.push(`${named(s.keyID)}${revoked ? ' is revoked' : `: ${(err as Error).message}`}`);
      continue;
    }
    const key = signerKeys.find((k) => k.getKeys(s.keyID).length > 0);
    if (!key) continue;
    const unusable = await keyUnusableNow(key, s.keyID, now);
    if (unusable) {
      problems.push(`${named(s.keyID)} is ${unusable}`);
      continue;
    }
    const packet = (await s.signature).packets[0];
    const signer = key.getFingerprint();
    const by = key.getKeys(s.keyID)[0]?.getFingerprint();
    return {
      signer,
      ...(by && by !== signer ? { subkey: by } : {}),
      ...(packet?.created ? { created: packet.created } : {}),
    };
  }
  throw noGoodSignature(what, problems);
}

/**
 * verifyDetached's refusal when no signature held: each signature's `problems`. Signed only by keys
 * revoked on this box (each problem `KEY is revoked`): `signer-revoked`, in revoked-first.ts's words,
 * as the refusal before a download says it (a package file given, a bundle; an index's refusal is
 * said with its own hint by RepoTrust, repo-trust.ts revokedRepositoryFile).
 */
export function noGoodSignature(what: string, problems: string[]): VerificationError {
  const revoked = problems.map((p) => / is revoked$/.exec(p) && p.slice(0, -' is revoked'.length));
  if (revoked.length > 0 && revoked.every(Boolean))
    return new VerificationError(
      `${what} is signed by ${[...new Set(revoked)].join(', ')}, revoked on this box: nothing it signs is accepted`,
      'signer-revoked',
      'Nothing was installed. Ask its publisher for a version signed by a valid key (`bpkg info NAME` lists the versions its repository offers: `bpkg install NAME@VERSION`), or go back to the version you had: `bpkg rollback NAME`. Do not trust the revoked key again.',
    );
  return new VerificationError(
    `${what}: no good signature by a trusted, valid key (${problems.join('; ') || 'none verified'})`,
    problems.some((p) => / is (revoked|expired)/.test(p)) ? 'key-not-valid' : 'bad-signature',
    'The file may have been tampered with, or the signing key revoked/expired. Do not install it; contact the publisher.',
  );
}

/** The primary fingerprint the admin trusted (of `keys`), and the subkey when a subkey signed. */
export function keyNamed(keys: OpenPGP.PublicKey[], id: OpenPGP.KeyID): string {
  const key = keys.find((k) => k.getKeys(id).length > 0);
  if (!key) return showFingerprint(id.toHex());
  const fpr = key.getFingerprint();
  return fpr.endsWith(id.toHex())
    ? `key ${showFingerprint(fpr)}`
    : `key ${showFingerprint(fpr)} (subkey ${showFingerprint(id.toHex())})`;
}

export async function readPrivateKey(armored: string, passphrase?: string): Promise<OpenPGP.PrivateKey> {
  await pgp();
  let key = await openpgp.readPrivateKey({ armoredKey: armored });
  if (!key.isDecrypted()) {
    if (!passphrase)
      throw new VerificationError(
        'The signing key is protected by a passphrase',
        'key-locked',
        'Set BLUEPRINT_KEY_PASSPHRASE.',
      );
    key = await openpgp.decryptKey({ privateKey: key, passphrase });
  }
  return key;
}

/** An armored detached signature over `data` (bytes or a file path). */
export async function signDetached(
  data: Uint8Array | { file: string },
  key: OpenPGP.PrivateKey,
): Promise<string> {
  await pgp();
  const message = await messageOf(data);
  const sig = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored' });
  if (typeof sig === 'string') return sig;
  let text = '';
  const reader = (sig as ReadableStream<string>).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
  return text;
}

/** An armored detached signature over a file: from a digest hashed off-thread where the key allows. */
export async function signFileDetached(file: string, key: OpenPGP.PrivateKey): Promise<string> {
  return (await signHashedOffThread(file, key)) ?? signDetached({ file }, key);
}

/**
 * A detached v4 signature over a large file without OpenPGP.js reading it: its streamed signing
 * keeps the whole file in memory until it signs (2 GiB of RSS for a 1 GiB model), which a box
 * importing a 4 GiB model (or a publisher building one) cannot afford. An EdDSA signature signs
 * only the digest of file || signature data || 0x04 0xFF || that data's length (RFC 4880,
 * 5.2.4), so the digest is computed on a worker thread (file-digest.ts, as verification does)
 * and handed to OpenPGP.js's own signature packet in place of its hashing; the packet, its
 * subpackets and the EdDSA signature are OpenPGP.js's. Undefined for keys this does not hold for
 * (then: the streamed path).
 */
async function signHashedOffThread(file: string, key: OpenPGP.PrivateKey): Promise<string | undefined> {
  await pgp();
  const signing = await key.getSigningKey();
  const algorithm = signing.keyPacket.algorithm;
  const eddsa = [openpgp.enums.publicKey.eddsaLegacy, openpgp.enums.publicKey.ed25519];
  if (signing.keyPacket.version !== 4 || !eddsa.includes(algorithm) || !canDigest('sha256')) return undefined;
  const packet = new openpgp.SignaturePacket() as OpenPGP.SignaturePacket & {
    signatureData: Uint8Array;
    rawNotations: unknown[];
    hash: () => Promise<Uint8Array>;
    sign: (...a: unknown[]) => Promise<void>;
  };
  packet.signatureType = openpgp.enums.signature.binary;
  packet.publicKeyAlgorithm = algorithm;
  packet.hashAlgorithm = openpgp.enums.hash.sha256;
  packet.rawNotations = [];
  packet.hash = () => {
    const trailer = Buffer.alloc(6);
    trailer.writeUInt8(4, 0);
    trailer.writeUInt8(0xff, 1);
    trailer.writeUInt32BE(packet.signatureData.length, 2);
    return digestFile(file, 'sha256', Buffer.concat([packet.signatureData, trailer]));
  };
  // The literal data it is given stands for the file; EdDSA never reads it, only the digest.
  const stand = new openpgp.LiteralDataPacket() as unknown as {
    setBytes(bytes: Uint8Array, format: number): void;
  };
  stand.setBytes(new Uint8Array(), openpgp.enums.literal.binary);
  await packet.sign(signing.keyPacket, stand, new Date(), true, openpgp.config);
  const list = new openpgp.PacketList<OpenPGP.SignaturePacket>();
  list.push(packet);
  return new openpgp.Signature(list).armor();
}

export async function generateSigningKey(
  name: string,
  email: string,
  opts: { expiresInSeconds?: number; date?: Date } = {},
): Promise<{ privateKey: string; publicKey: string; revocationCertificate: string; fingerprint: string }> {
  await pgp();
  const { privateKey, publicKey, revocationCertificate } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email }],
    format: 'armored',
    ...(opts.expiresInSeconds ? { keyExpirationTime: opts.expiresInSeconds } : {}),
    ...(opts.date ? { date: opts.date } : {}),
  });
  const fingerprint = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint();
  return { privateKey, publicKey, revocationCertificate, fingerprint };
}

/** Applies a revocation certificate to a public key, giving the revoked key to store. */
export async function applyRevocation(publicKey: string, revocationCertificate: string): Promise<string> {
  await pgp();
  const key = await openpgp.readKey({ armoredKey: publicKey });
  const { publicKey: revoked } = await openpgp.revokeKey({
    key,
    revocationCertificate,
    format: 'armored',
  });
  return revoked;
}
