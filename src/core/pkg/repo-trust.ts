import { NotFoundError, UsageError, VerificationError } from '../errors.js';
import { showFingerprint } from './fingerprint-text.js';
import { parseJsonBytes } from './format-checks.js';
import type { Keyring } from './keyring.js';
import type { RepoConfig } from './repo-config.js';
import { verifyAndHash } from './sig-fast.js';
import { type PublicKey, type SignatureCheck, verifyDetached } from './signature.js';
import { fetchBytes, joinUrl } from './transport.js';

const nodeCrypto = () => process.getBuiltinModule('node:crypto');

/**
 * Where a bucket keeps the signature of the file whose SHA-256 is `sha256` (the index, a key
 * rotation notice): stored before the file itself (publish-remote.ts), since a bucket cannot
 * replace a file and its `.asc` at once. A reader that got the new file with the old `.asc` (a
 * publish that failed or is still going between the two, or a read that fell between them) finds
 * the file's own signature here.
 */
export const signatureByHash = (sha256: string): string => `by-hash/SHA256/${sha256}.asc`;

/** The most a repository's detached signature may take (a rotation notice: four times that). */
export const MAX_SIG_BYTES = 64 * 1024;

const normalizeFpr = (f: string) => f.replace(/\s+/g, '').toLowerCase();

/**
 * Which keys may sign a repository, and the checks that hold it to them (repos.ts): trust is
 * scoped, so a key trusted for one repository vouches for nothing in another.
 */
export class RepoTrust {
  constructor(
    private readonly keyring: Keyring,
    private readonly now: () => Date,
  ) {}

  /** Full fingerprints of keys in the keyring; anything else (unknown, partial) is refused. */
  async trustedFingerprints(given: string[]): Promise<string[]> {
    const trusted = new Set((await this.keyring.list()).map((k) => k.fingerprint));
    const out: string[] = [];
    for (const g of given) {
      const fpr = normalizeFpr(g);
      if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(fpr))
        throw new UsageError(
          `${g} is not a full key fingerprint`,
          'Give all 40 (or 64) hex digits, as `bpkg key list` shows them.',
        );
      if (!trusted.has(fpr))
        throw new NotFoundError(
          `Key ${showFingerprint(fpr)} is not trusted on this box`,
          `Trust it first: \`bpkg key add FILE --fingerprint ${showFingerprint(fpr)}\` (FILE: the publisher's key)`,
          'key-not-trusted',
        );
      if (!out.includes(fpr)) out.push(fpr);
    }
    return out;
  }

  /**
   * The keys allowed to sign `repo`. A configuration from before keys were bound (no `keys`) is
   * bound to the only trusted key when exactly one is trusted: then no other key exists that could
   * be confused with it, unless it is bound to another repository of `configured` (trusted for that
   * one only, as the dashboard's "Add a repository…" says). With several trusted keys, or such a
   * one, it is refused until the admin says which (`bpkg repo set-key`); with none, verification
   * fails as untrusted, as before.
   */
  async bindingFor(
    repo: RepoConfig,
    configured: RepoConfig[] = [],
  ): Promise<{ keys: string[]; bound?: string }> {
    if (repo.keys?.length) return { keys: repo.keys };
    const trusted = await this.keyring.list();
    if (trusted.length === 0) return { keys: [] };
    const only = trusted.length === 1 ? trusted[0]!.fingerprint : undefined;
    const elsewhere = configured
      .filter((r) => r.name !== repo.name && r.keys?.some((k) => normalizeFpr(k) === only))
      .map((r) => r.name);
    if (only && !elsewhere.length) return { keys: [only], bound: only };
    if (only)
      throw new VerificationError(
        `Repository ${repo.name} is not bound to a signing key, and the one trusted key ${showFingerprint(only)} is trusted for repository ${elsewhere.join(', ')} only`,
        'repo-key-unbound',
        `If that publisher signs ${repo.name} too, say so: \`bpkg repo set-key ${repo.name} FPR\` (FPR: ${showFingerprint(only)}); else trust its own key first (\`bpkg key add FILE --fingerprint FPR\`)`,
      );
    throw new VerificationError(
      `Repository ${repo.name} is not bound to a signing key, and ${trusted.length} keys are trusted`,
      'repo-key-unbound',
      `Say which key signs it: \`bpkg repo set-key ${repo.name} FPR\` (fingerprints: \`bpkg key list\`)`,
    );
  }

  private async keysFor(fingerprints: string[]): Promise<PublicKey[]> {
    return (await this.keyring.keys()).filter((k) => fingerprints.includes(k.getFingerprint()));
  }

  /**
   * Verifies a detached signature by one of the repository's own keys. A good signature by a key
   * trusted only for another repository is that other repository's file served here: it gets its
   * own error, so the admin does not mistake it for an unknown key.
   */
  async verifyFor(
    repo: RepoConfig,
    keys: string[],
    data: Uint8Array,
    sig: Uint8Array,
    what: string,
  ): Promise<SignatureCheck> {
    return (await this.verifyHashing(repo, keys, data, sig, what, false)).check;
  }

  /**
   * verifyFor, with the SHA-256 of `data` when the quick check made it on its way (the signature's
   * own digest when that is SHA-256: an update's index is then hashed once, not twice; issue 20).
   */
  private async verifyHashing(
    repo: RepoConfig,
    keys: string[],
    data: Uint8Array,
    sig: Uint8Array,
    what: string,
    withSha256 = true,
  ): Promise<{ check: SignatureCheck; sha256?: string }> {
    // Keys of the plain shape are checked without OpenPGP.js (sig-fast.ts); anything it does not
    // accept outright, good or bad, is judged by OpenPGP.js as before.
    const fast = verifyAndHash(data, sig, await this.keyring.fastKeys(keys), this.now(), withSha256);
    if (fast) return fast;
    try {
      return { check: await verifyDetached(data, sig, await this.keysFor(keys), what, this.now()) };
    } catch (err) {
      if (err instanceof VerificationError && err.code === 'signer-revoked')
        throw revokedRepositoryFile(err, repo.name);
      if (!(err instanceof VerificationError) || err.code !== 'untrusted-signer') throw err;
      const others = (await this.keyring.keys()).filter((k) => !keys.includes(k.getFingerprint()));
      const foreign = await verifyDetached(data, sig, others, what, this.now()).catch(() => undefined);
      if (foreign) throw foreignKeyError(repo.name, what, foreign.signer);
      throw unknownSigner(err, repo.name, keys);
    }
  }

  /**
   * `rel`'s served `.asc` checked over `bytes` (verifyFor); when it is missing or does not verify,
   * the signature stored by the bytes' hash (signatureByHash) is checked the same way instead.
   * Nothing is weakened: either way it is a signature over exactly these bytes by a bound key.
   * When neither holds, the `.asc`'s own error is the answer. Resolves with the signature that held.
   */
  async verifyServed(
    repo: RepoConfig,
    url: string,
    rel: string,
    keys: string[],
    bytes: Uint8Array,
    what: string,
    signal?: AbortSignal,
    /** Each signature as it comes, before it is checked (the index's is written beside it meanwhile). */
    got?: (sig: Uint8Array) => void,
  ): Promise<{ sig: Uint8Array; check: SignatureCheck; sha256?: string }> {
    let first: unknown;
    try {
      const sig = await fetchBytes(joinUrl(url, `${rel}.asc`), MAX_SIG_BYTES, signal).catch((err) => {
        if (err instanceof NotFoundError)
          throw new VerificationError(
            `${what} has no signature (${rel}.asc)`,
            'no-signature',
            'Unsigned repositories are never used.',
          );
        throw err;
      });
      got?.(sig);
      return { sig, ...(await this.verifyHashing(repo, keys, bytes, sig, what)) };
    } catch (err) {
      if (!(err instanceof VerificationError) || signal?.aborted) throw err;
      first = err;
    }
    // Any failure to get the second chance (absent: every repository but a bucket's; a bucket
    // without ListBucket answers 403) leaves the `.asc`'s error as the answer.
    const sha256 = nodeCrypto().createHash('sha256').update(bytes).digest('hex');
    const byHash = await fetchBytes(joinUrl(url, signatureByHash(sha256)), MAX_SIG_BYTES, signal).catch(
      () => undefined,
    );
    if (signal?.aborted) throw signal.reason;
    if (!byHash) throw first;
    got?.(byHash);
    const check = await this.verifyFor(repo, keys, bytes, byHash, what).catch(() => {
      throw first;
    });
    return { sig: byHash, check, sha256 };
  }

  /**
   * Key rotation: a repository may publish `keys/rotation.json` (with `.asc`) signed by a key we
   * trust for that repository, announcing its next key. The new key becomes trusted, for that
   * repository only (added to `keys`, which the caller saves once the index verifies), because the
   * old one vouched for it.
   */
  async acceptRotation(
    repo: RepoConfig,
    url: string,
    keys: string[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(joinUrl(url, 'keys/rotation.json'), MAX_SIG_BYTES * 4, signal);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const what = `Key rotation notice of ${repo.name}`;
    try {
      await this.verifyServed(repo, url, 'keys/rotation.json', keys, bytes, what, signal);
    } catch (err) {
      // A notice of a key this repository is bound to already changes nothing, so it is passed
      // over unverified: its signer (the key it replaced) may be revoked since, and the index is
      // checked on its own. Any other notice that does not verify refuses the update as before.
      if (err instanceof VerificationError && announcesBound(bytes, keys)) return undefined;
      throw err;
    }
    const notice = parseJsonBytes(bytes, 'Key rotation notice', 'bad-rotation') as {
      newKey?: string;
      fingerprint?: string;
    };
    if (typeof notice.newKey !== 'string' || typeof notice.fingerprint !== 'string')
      throw new VerificationError(
        'Key rotation notice lacks newKey/fingerprint',
        'bad-rotation',
        'The notice is signed but names no next key, so this repository is not updated while it is served: ask its publisher to publish keys/rotation.json again. The keys trusted stay as they were.',
      );
    const fingerprint = notice.fingerprint.toLowerCase();
    if (keys.includes(fingerprint)) return undefined;
    if (!(await this.keyring.list()).some((k) => k.fingerprint === fingerprint))
      await this.keyring.add(notice.newKey, fingerprint);
    keys.push(fingerprint);
    return fingerprint;
  }
}

/** Whether a rotation notice (not verified) names one of `keys`: then it has nothing to give. */
function announcesBound(bytes: Uint8Array, keys: string[]): boolean {
  try {
    const fpr = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { fingerprint?: unknown }).fingerprint;
    return typeof fpr === 'string' && keys.includes(fpr.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * `err` (from verifyDetached) as said of repository `repo`'s file: signed by a key not trusted here
 * at all (the publisher's old key after a rotation, a stranger's), the way is not to trust it (the
 * generic hint, `bpkg key add`) but the repository's own key signing it. Other errors as they are.
 */
export function unknownSigner(err: unknown, repo: string, keys: string[]): unknown {
  if (!(err instanceof VerificationError) || err.code !== 'untrusted-signer' || !keys.length) return err;
  return new VerificationError(
    err.message,
    err.code,
    `Repository ${repo} is bound to ${keys.map(showFingerprint).join(', ')}, which did not sign it; nothing was used. If it is its publisher's, they sign it with that key (\`blueprint repo sign --key FILE ...\`) or move to a new key by a rotation notice signed with the old one, which \`bpkg update\` follows; if not, the server is not serving its publisher's files.`,
  );
}

export function foreignKeyError(repo: string, what: string, signer: string): VerificationError {
  return new VerificationError(
    `${what} is signed by ${showFingerprint(signer)}, which is not a key trusted for repository ${repo}`,
    'wrong-repository-key',
    `This URL may serve another repository's files (a mirror mix-up or an attack); nothing was used. Only if the publisher of ${repo} confirms it moved to that key: \`bpkg repo set-key ${repo} ${showFingerprint(signer)}\``,
  );
}

/**
 * A repository file (its index, a rotation notice) signed only by keys revoked on this box: what
 * to do is not a package's (signature.ts noGoodSignature): nothing was updated, the last verified
 * index stays; an update once the publisher re-signs, or the repository removed.
 */
function revokedRepositoryFile(err: VerificationError, repo: string): VerificationError {
  return new VerificationError(
    err.message,
    'signer-revoked',
    `Nothing was updated: the box keeps the last index it verified of ${repo}, if any. Run \`bpkg update\` once the publisher re-signs it with a valid key (a new key of theirs, trusted for ${repo}: \`bpkg repo set-key ${repo} FPR\`), or remove the repository: \`bpkg repo remove ${repo}\`.`,
    { cause: err },
  );
}
