import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as OpenPGP from 'openpgp';
import { storageErrorFrom } from '../errors.js';
import type { Layout } from '../system/paths.js';
import { digestFile } from './file-digest.js';
import {
  generateSigningKey,
  type PublicKey,
  readPrivateKey,
  readPublicKeys,
  signDetached,
} from './signature.js';

/**
 * The box's own signing key, for packages made on this box (`blueprint model import`: a GGUF
 * from a USB stick becomes a signed `model-NAME` package, so it goes through the same checks as
 * any package, at install and at every start).
 *
 * Trust is scoped: this key vouches for local package files only. It is never among the
 * keyring's keys (`Keyring` leaves it out and refuses to add it), so no repository can be bound
 * to it and nothing a repository serves — index or package — is accepted with its signature; a
 * package it signed is installed with origin `local`, which no repository can be named.
 *
 * Kept under ROOT/var/lib/blueprint/local-key/ (0700): secret.asc (0600, root only; never
 * copied out, no command prints it) and public.asc. Made on first use, whole or not at all:
 * written into a private folder that is renamed into place, so a crash leaves no half key and
 * two imports at once end with one key.
 */
export const LOCAL_ORIGIN = 'local';

export class LocalKey {
  readonly dir: string;

  constructor(paths: Layout) {
    this.dir = path.join(paths.stateDir, 'local-key');
  }

  /** The public key, or undefined before the first import made it. */
  async publicKey(): Promise<PublicKey | undefined> {
    const text = await readNoFollow(path.join(this.dir, 'public.asc'));
    if (text === undefined) return undefined;
    const [key] = await readPublicKeys(text);
    return key;
  }

  async fingerprint(): Promise<string | undefined> {
    return (await this.publicKey())?.getFingerprint();
  }

  /** Makes the key unless it exists; its fingerprint. */
  async ensure(hostname = 'this box'): Promise<string> {
    const have = await this.fingerprint();
    if (have) return have;
    const parent = path.dirname(this.dir);
    const tmp = path.join(parent, `.local-key-${process.pid}-${randomUUID()}`);
    try {
      await mkdir(parent, { recursive: true });
      await mkdir(tmp, { mode: 0o700 });
      await chmod(tmp, 0o700); // whatever the umask
      const k = await generateSigningKey(
        `BlueprintOS local packages (${hostname})`,
        'local@blueprintos.invalid',
      );
      await writeNew(path.join(tmp, 'secret.asc'), k.privateKey, 0o600);
      await writeNew(path.join(tmp, 'public.asc'), k.publicKey, 0o644);
      await rename(tmp, this.dir).catch(async (err) => {
        // Another process made it first: keep that one.
        if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      });
    } catch (err) {
      throw storageErrorFrom(err, 'making the local signing key');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const made = await this.fingerprint();
    if (!made)
      throw storageErrorFrom(new Error('the local key could not be read back'), 'making the local key');
    return made;
  }

  /** An armored detached signature over a file, by this box's key. */
  async sign(file: string): Promise<string> {
    const text = await readNoFollow(path.join(this.dir, 'secret.asc'));
    if (text === undefined) throw storageErrorFrom(new Error('no local key'), 'signing with the local key');
    const key = await readPrivateKey(text);
    return (await signHashedOffThread(file, key)) ?? signDetached({ file }, key);
  }
}

/**
 * A detached v4 signature over a large file without OpenPGP.js reading it: its streamed signing
 * keeps the whole file in memory until it signs (2 GiB of RSS for a 1 GiB model), which a box
 * importing a 4 GiB model cannot afford. An EdDSA signature signs only the digest of
 * file || signature data || 0x04 0xFF || that data's length (RFC 4880, 5.2.4), so the digest is
 * computed on a worker thread (file-digest.ts, as verification does) and handed to OpenPGP.js's
 * own signature packet in place of its hashing; the packet, its subpackets and the EdDSA
 * signature are OpenPGP.js's. Undefined for keys this does not hold for (then: the streamed path).
 */
async function signHashedOffThread(file: string, key: OpenPGP.PrivateKey): Promise<string | undefined> {
  const openpgp = await import('openpgp');
  const signing = await key.getSigningKey();
  const algorithm = signing.keyPacket.algorithm;
  const eddsa = [openpgp.enums.publicKey.eddsaLegacy, openpgp.enums.publicKey.ed25519];
  if (signing.keyPacket.version !== 4 || !eddsa.includes(algorithm)) return undefined;
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

/** A file's text, never through a symlink; undefined when it does not exist. */
async function readNoFollow(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeNew(file: string, text: string, mode: number): Promise<void> {
  const fh = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
