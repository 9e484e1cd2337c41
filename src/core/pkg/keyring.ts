import { rm } from 'node:fs/promises';
import path from 'node:path';
import type * as openpgp from 'openpgp';
import { NotFoundError, UsageError, VerificationError } from '../errors.js';
import { writeFileAtomic } from '../system/fs.js';
import { oneLine } from '../system/one-line.js';
import type { Layout } from '../system/paths.js';
import { showFingerprint } from './fingerprint-text.js';
import { judgeKeysFast } from './key-fast.js';
import {
  certifiedUserIds,
  dropUncertifiedUserIds,
  type KeyChanges,
  mergeCopy,
  noCertifiedUserIdsError,
} from './key-update.js';
import { type CachedKey, keyFilesState, readKeyFiles, readKeyringCache } from './keyring-cache.js';
import { cachedKey, writeKeyringCache } from './keyring-cache-write.js';
import type { FastKey } from './sig-fast.js';
import { type PublicKey, readPublicKeys, UNREADABLE_SIGNATURE } from './signature.js';

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
    // Only those it certified: one an older blueprint kept may carry others (keyring-cache.ts JUDGE).
    userIds: await certifiedUserIds(k),
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
    /** Where the judged keys are kept (keyring-cache.ts), and the local key's file they depend on. */
    private readonly cacheAt?: { paths: Layout; localKeyFile: string; now: () => Date },
  ) {}

  /** The keys judged last by this instance, and for which files (as keyFilesState gives them). */
  private memo?: { state: string; at: number; keys: CachedKey[]; kept: boolean };

  /** The key files, each read once: what is parsed is what the cache is bound to. */
  private files(): Promise<{ name: string; text: string }[]> {
    return readKeyFiles(this.dir);
  }

  private async parse(files: { name: string; text: string }[]): Promise<PublicKey[]> {
    const keys: PublicKey[] = [];
    for (const f of files) keys.push(...(await readPublicKeys(f.text)));
    const local = await this.localKey();
    return local ? keys.filter((k) => k.getFingerprint() !== local) : keys;
  }

  async keys(): Promise<PublicKey[]> {
    return this.parse(await this.files());
  }

  /**
   * The trusted keys as judged by OpenPGP.js: from the sealed cache when it was made from exactly
   * these files, else judged now (and cached when the keys allow it). Undefined without a cache place.
   */
  private async judged(): Promise<CachedKey[] | undefined> {
    if (!this.cacheAt) return undefined;
    const { paths, localKeyFile, now } = this.cacheAt;
    const files = await this.files();
    const state = await keyFilesState(files, localKeyFile);
    const at = now();
    const seen = JSON.stringify(state);
    const memo = this.memo;
    if (memo?.state === seen && at.getTime() >= memo.at) {
      // Judged before the lists folder existed (`key add` then `update` in one process): kept now,
      // so that the next process's update checks signatures without OpenPGP.js.
      if (!memo.kept) memo.kept = await writeKeyringCache(paths, state, new Date(memo.at), memo.keys);
      return memo.keys;
    }
    const kept = await readKeyringCache(paths, state, at);
    if (kept) {
      this.memo = { state: seen, at: at.getTime(), keys: kept, kept: true };
      return kept;
    }
    // Keys of the plain shape are judged without OpenPGP.js (key-fast.ts), all or none of them.
    let out = judgeKeysFast(files, localKeyFile, at);
    let cacheable = true;
    if (!out) {
      out = [];
      for (const k of await this.parse(files)) {
        const info = await describe(k);
        const c = await cachedKey(k, info, at);
        if (!c) cacheable = false;
        out.push(c ?? { info });
      }
    }
    // The local key may have been made meanwhile: cache only what was judged of the same files.
    if (cacheable && JSON.stringify(await keyFilesState(files, localKeyFile)) === seen) {
      const written = await writeKeyringCache(paths, state, at, out);
      this.memo = { state: seen, at: at.getTime(), keys: out, kept: written };
    }
    return out;
  }

  async list(): Promise<TrustedKey[]> {
    const judged = await this.judged();
    if (judged) return judged.map((k) => k.info);
    const out: TrustedKey[] = [];
    for (const k of await this.keys()) out.push(await describe(k));
    return out;
  }

  /** The keys among `fingerprints` that sig-fast.ts can check signatures by (see keyring-cache.ts). */
  async fastKeys(fingerprints: string[]): Promise<FastKey[]> {
    const judged = (await this.judged()) ?? [];
    return judged.flatMap((k) => (k.fast && fingerprints.includes(k.fast.fingerprint) ? [k.fast] : []));
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
      throw new VerificationError(
        `Unreadable signature: ${(err as Error).message}`,
        'bad-signature',
        UNREADABLE_SIGNATURE,
      );
    }
    const out: TrustedKey[] = [];
    for (const k of await this.keys())
      if (ids.some((id) => k.getKeys(id).length > 0)) out.push(await describe(k));
    return out;
  }

  /**
   * The keys `armored` holds; for a revocation certificate (a bare key revocation signature, as
   * `repo keygen` and `gpg --gen-revoke` write), the key it revokes with it applied once it verifies
   * against that key: a key given in the same file (`cat key.asc revocation.asc`), or a trusted one.
   * A certificate is signed by the key it revokes, so without that key it proves nothing: refused,
   * naming what to send (the revoked public key records the revocation on a box without the key).
   */
  private async keysIn(armored: string): Promise<PublicKey[]> {
    const blocks = armored.match(/-----BEGIN PGP [^\n]*-----[\s\S]*?-----END PGP [^\n]*-----/g) ?? [];
    const certs: { text: string; ids: openpgp.KeyID[] }[] = [];
    const rest: string[] = [];
    for (const text of blocks) {
      const ids = await revocationIssuers(text);
      if (ids) certs.push({ text, ids });
      else rest.push(text);
    }
    if (certs.length === 0) return readPublicKeys(armored);
    const given = rest.length ? await readPublicKeys(rest.join('\n')) : [];
    const trusted = await this.keys();
    const out = [...given];
    for (const { text, ids } of certs) {
      const named = (k: PublicKey) => ids.some((id) => k.getKeyID().equals(id));
      const at = out.findIndex(named);
      const key = at >= 0 ? out[at] : trusted.find(named);
      if (!key) {
        const id = ids.map((i) => i.toHex().toUpperCase()).join(', ');
        throw new VerificationError(
          `The file is a revocation certificate for key ${id} without that key, which this box does not trust: a certificate is checked against the key it revokes`,
          'revocation-without-key',
          `Send the revoked public key: \`gpg --import revocation.asc && gpg --armor --export ${id} > revoked.asc\`, then \`bpkg key add revoked.asc\` (or the public key and the certificate in one file: \`cat key.asc revocation.asc\`). The box keeps it as revoked and never trusts it; nothing was changed.`,
        );
      }
      const revoked = await revokeWith(key, text);
      if (at >= 0) out[at] = revoked;
      else out.push(revoked);
    }
    return out;
  }

  /**
   * Reads a key without trusting it, so a caller can show its fingerprint and ask: with only the
   * user IDs the key certified itself, the others named apart (dropUncertifiedUserIds).
   */
  async inspect(armored: string): Promise<TrustedKey & Pick<KeyChanges, 'uncertifiedUserIds'>> {
    const [key, ...more] = await this.keysIn(armored);
    if (!key) throw new VerificationError('The file holds no OpenPGP key', 'bad-key');
    if (more.length)
      throw new VerificationError(
        'The file holds more than one key; add them one by one',
        'bad-key',
        'Put each key in a file of its own, check its fingerprint with the publisher, and add them one at a time; nothing was added.',
      );
    const uncertifiedUserIds = await dropUncertifiedUserIds(key);
    return { ...(await describe(key)), ...(uncertifiedUserIds.length ? { uncertifiedUserIds } : {}) };
  }

  /**
   * Trusts a key. With `pin`, the key's fingerprint must equal it (refused otherwise): the way to add
   * a key with no prompt. A newer copy of a trusted key (e.g. with a revocation, a new subkey) is
   * merged into it, as is the revocation certificate of a trusted key (keysIn); a revocation is
   * never dropped. What a merge changed is returned with the key (KeyChanges).
   */
  async add(armored: string, pin?: string): Promise<TrustedKey & KeyChanges> {
    const info = await this.inspect(armored);
    if (pin && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(normalizeFpr(pin)))
      throw new UsageError(
        `--fingerprint ${pin} is not a full fingerprint: give all 40 hex digits (a key ID or short form is not enough to pin a key)`,
        'gpg --fingerprint KEY shows it (spaces and a leading 0x are fine); nothing was added.',
      );
    if (pin && normalizeFpr(pin) !== info.fingerprint)
      throw new VerificationError(
        `Key fingerprint ${showFingerprint(info.fingerprint)} does not match the expected ${showFingerprint(normalizeFpr(pin))}`,
        'fingerprint-mismatch',
        'Check you have the right key file; nothing was added.',
      );
    if (info.fingerprint === (await this.localKey()))
      throw new VerificationError(
        `Key ${showFingerprint(info.fingerprint)} is this box's own key for local packages (blueprint model import)`,
        'local-key',
        'It signs packages made on this box only and is never trusted for a repository; nothing was added.',
      );
    const [given] = await this.keysIn(armored);
    // A copy of a key trusted already is merged into it, never put in its place: a revocation
    // applied here (a certificate, a revoked copy) stays, as gpg keeps one on import. Else adding
    // the key's old public file again (a repository's instructions, a stick) undid it unsaid. Its
    // new subkeys are taken only as the trusted key certified them (key-update.ts).
    const kept = (await this.keys()).find((k) => k.getFingerprint() === info.fingerprint);
    const merged = kept ? await mergeCopy(kept, given!, this.cacheAt?.now() ?? new Date()) : undefined;
    // A key trusted first: kept with only the user IDs it certified, as they were shown (inspect).
    if (!kept) await dropUncertifiedUserIds(given!);
    if (!kept && given!.users.length === 0 && info.uncertifiedUserIds)
      throw noCertifiedUserIdsError(info.fingerprint);
    const key = merged?.key ?? given!;
    await writeFileAtomic(path.join(this.dir, `${info.fingerprint}.asc`), key.armor());
    // Judged now, while OpenPGP.js is loaded: the next update checks signatures without it.
    await this.judged();
    return merged ? { ...(await describe(key)), ...merged.changes } : info;
  }

  /**
   * Stops trusting the key whose fingerprint is `fingerprint`, or ends with it (16 hex digits at
   * least: shorter ids are easy to forge a match for, and adding a key takes all 40). Returns the
   * full fingerprint of the key removed. Several keys that match, or a shorter id, are refused with
   * the full fingerprints they match, nothing removed.
   */
  async remove(fingerprint: string): Promise<string> {
    const fpr = normalizeFpr(fingerprint);
    const matches = (await this.list()).filter((k) => k.fingerprint === fpr || k.fingerprint.endsWith(fpr));
    const named = matches.map((k) => showFingerprint(k.fingerprint)).join(', ');
    if (/^[0-9a-f]{1,15}$/.test(fpr))
      throw new UsageError(
        `${fingerprint} is a short key id (${fpr.length} hex digits): give at least 16 digits of the fingerprint, best all 40`,
        matches.length
          ? `It matches ${named}: \`bpkg key remove ${showFingerprint(matches[0]!.fingerprint)}\`${matches.length > 1 ? ' (or another of them)' : ''}. Short ids are easy to forge a match for; nothing was removed.`
          : 'No trusted key ends with it either; `bpkg key list` shows the full fingerprints. Nothing was removed.',
      );
    if (matches.length === 0)
      throw new NotFoundError(`No trusted key ${showFingerprint(fingerprint)}`, 'See `bpkg key list`.');
    if (matches.length > 1)
      throw new UsageError(
        `${showFingerprint(fingerprint)} matches several trusted keys: ${named}`,
        'Give the full fingerprint of the one to remove; nothing was removed.',
      );
    const key = matches[0]!.fingerprint;
    await rm(path.join(this.dir, `${key}.asc`), { force: true });
    return key;
  }
}

/** `key` with the revocation certificate `armored` applied, refused unless it verifies against it. */
async function revokeWith(key: PublicKey, armored: string): Promise<PublicKey> {
  try {
    const { revokeKey } = await import('openpgp');
    const { publicKey } = await revokeKey({ key, revocationCertificate: armored, format: 'object' });
    return publicKey;
  } catch (err) {
    throw new VerificationError(
      `The revocation certificate for key ${showFingerprint(key.getFingerprint())} does not verify: ${oneLine((err as Error).message)}`,
      'bad-revocation',
      'It is damaged or was not made by that key: fetch it again from the publisher; nothing was changed.',
    );
  }
}

/** The issuers of a bare key revocation certificate; undefined when `armored` is not one. */
async function revocationIssuers(armored: string): Promise<openpgp.KeyID[] | undefined> {
  if (!armored.includes('-----BEGIN PGP ')) return undefined;
  const pgp = await import('openpgp');
  try {
    const { data } = await pgp.unarmor(armored);
    const sig = await pgp.readSignature({ binarySignature: data as Uint8Array });
    const types = (sig.packets as unknown as { signatureType: number }[]).map((p) => p.signatureType);
    if (types.length === 0 || types.some((t) => t !== pgp.enums.signature.keyRevocation)) return undefined;
    return sig.getSigningKeyIDs();
  } catch {
    return undefined; // a key, or nothing OpenPGP reads: readPublicKeys says which
  }
}
