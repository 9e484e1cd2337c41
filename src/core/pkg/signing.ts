/** The signing side of OpenPGP here (the verifying side: signature.ts): keys made, read and revoked, files signed. */
import type * as OpenPGP from 'openpgp';
import { VerificationError } from '../errors.js';
import { canDigest, digestFile } from './file-digest.js';
import { loadOpenpgp, messageOf, v4HashSuffix } from './pgp-load.js';

// OpenPGP.js is loaded by the first function here that needs it (pgp-load.ts loadOpenpgp keeps it).

export async function readPrivateKey(armored: string, passphrase?: string): Promise<OpenPGP.PrivateKey> {
  const openpgp = await loadOpenpgp();
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
  const openpgp = await loadOpenpgp();
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
  const openpgp = await loadOpenpgp();
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
  packet.hash = () => digestFile(file, 'sha256', v4HashSuffix(packet.signatureData));
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
  const openpgp = await loadOpenpgp();
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
  const openpgp = await loadOpenpgp();
  const key = await openpgp.readKey({ armoredKey: publicKey });
  const { publicKey: revoked } = await openpgp.revokeKey({
    key,
    revocationCertificate,
    format: 'armored',
  });
  return revoked;
}
