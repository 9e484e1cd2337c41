import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as openpgp from 'openpgp';
import { ConflictError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import { writeFileAtomic } from '../system/fs.js';
import { type PublicKey, readPublicKeys } from './signature.js';

export interface TrustedKey {
  fingerprint: string;
  userIds: string[];
  created: string;
  expires?: string;
  revoked: boolean;
}

export async function describe(k: PublicKey): Promise<TrustedKey> {
  const exp = await k.getExpirationTime();
  return {
    fingerprint: k.getFingerprint(),
    userIds: k.getUserIDs(),
    created: k.getCreationTime().toISOString(),
    ...(exp instanceof Date ? { expires: exp.toISOString() } : {}),
    revoked: await k.isRevoked(),
  };
}

const normalizeFpr = (f: string) => f.replace(/\s+/g, '').replace(/^0x/i, '').toLowerCase();

/**
 * The trusted publisher keys: one armored public key per file, named by fingerprint. Trust here is
 * the set of keys a repository may be bound to; which repository each key may sign is the
 * repository's `keys` (see repos.ts), so a key trusted for one repository vouches for no other.
 */
export class Keyring {
  /**
   * `localKey`: the fingerprint of the box's own key (local-key.ts), which signs local packages
   * only: it is never one of these keys, even when its file is copied here, and cannot be added.
   */
  constructor(
    private readonly dir: string,
    private readonly localKey: () => Promise<string | undefined> = async () => undefined,
  ) {}

  async keys(): Promise<PublicKey[]> {
    let files: string[];
    try {
      files = (await readdir(this.dir)).filter((f) => f.endsWith('.asc'));
    } catch {
      return [];
    }
    const keys: PublicKey[] = [];
    for (const f of files.sort())
      keys.push(...(await readPublicKeys(await readFile(path.join(this.dir, f), 'utf8'))));
    const local = await this.localKey();
    return local ? keys.filter((k) => k.getFingerprint() !== local) : keys;
  }

  async list(): Promise<TrustedKey[]> {
    const out: TrustedKey[] = [];
    for (const k of await this.keys()) out.push(await describe(k));
    return out;
  }

  /**
   * The trusted keys a detached signature names as its signers (issuer key IDs, subkeys
   * included), so a caller can say whose signature a package carries before fetching it. Not a
   * verification: the install still checks the signature itself over the bytes it unpacks.
   */
  async namedBy(signature: Uint8Array): Promise<TrustedKey[]> {
    let ids: openpgp.KeyID[];
    try {
      // Loaded here, not at the top: commands that only read indexes never load OpenPGP.js.
      const { readSignature } = await import('openpgp');
      const text = Buffer.from(signature.subarray(0, 5)).toString() === '-----';
      const sig = text
        ? await readSignature({ armoredSignature: Buffer.from(signature).toString('utf8') })
        : await readSignature({ binarySignature: signature });
      ids = sig.getSigningKeyIDs();
    } catch (err) {
      throw new VerificationError(`Unreadable signature: ${(err as Error).message}`, 'bad-signature');
    }
    const out: TrustedKey[] = [];
    for (const k of await this.keys())
      if (ids.some((id) => k.getKeys(id).length > 0)) out.push(await describe(k));
    return out;
  }

  /** Reads a key without trusting it, so a caller can show its fingerprint and ask. */
  async inspect(armored: string): Promise<TrustedKey> {
    const [key, ...more] = await readPublicKeys(armored);
    if (!key) throw new VerificationError('The file holds no OpenPGP key', 'bad-key');
    if (more.length)
      throw new VerificationError('The file holds more than one key; add them one by one', 'bad-key');
    return describe(key);
  }

  /**
   * Trusts a key. With `pin`, the key's fingerprint must equal it (refused otherwise): the way to add
   * a key with no prompt. Adding a newer copy of a trusted key (e.g. with a revocation) replaces it.
   */
  async add(armored: string, pin?: string): Promise<TrustedKey> {
    const info = await this.inspect(armored);
    if (pin && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(normalizeFpr(pin)))
      throw new UsageError(
        `--fingerprint ${pin} is not a full fingerprint: give all 40 hex digits (a key ID or short form is not enough to pin a key)`,
        'gpg --fingerprint KEY shows it (spaces and a leading 0x are fine); nothing was added.',
      );
    if (pin && normalizeFpr(pin) !== info.fingerprint)
      throw new VerificationError(
        `Key fingerprint ${info.fingerprint} does not match the expected ${normalizeFpr(pin)}`,
        'fingerprint-mismatch',
        'Check you have the right key file; nothing was added.',
      );
    if (info.fingerprint === (await this.localKey()))
      throw new VerificationError(
        `Key ${info.fingerprint} is this box's own key for local packages (blueprint model import)`,
        'local-key',
        'It signs packages made on this box only and is never trusted for a repository; nothing was added.',
      );
    const [key] = await readPublicKeys(armored);
    await writeFileAtomic(path.join(this.dir, `${info.fingerprint}.asc`), key!.armor());
    return info;
  }

  async remove(fingerprint: string): Promise<void> {
    const fpr = normalizeFpr(fingerprint);
    const matches = (await this.list()).filter((k) => k.fingerprint === fpr || k.fingerprint.endsWith(fpr));
    if (matches.length === 0)
      throw new NotFoundError(`No trusted key ${fingerprint}`, 'See `bpkg key list`.');
    if (matches.length > 1)
      throw new ConflictError(
        `${fingerprint} matches several keys`,
        'ambiguous',
        'Give the full fingerprint.',
      );
    await rm(path.join(this.dir, `${matches[0]!.fingerprint}.asc`), { force: true });
  }
}
