import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlueprintError, ConflictError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import type { RepoIndex } from './format.js';
import { parseJsonBytes } from './format-checks.js';
import { checkFreshness } from './freshness.js';
import {
  cachesSealed,
  headOf,
  type IndexHead,
  readHead,
  readVerified,
  sha256Hex,
  writeVerified,
} from './index-cache.js';
import { parseIndexFast } from './index-fast.js';
import type { Keyring } from './keyring.js';
import { verifyDetachedFast } from './sig-fast.js';
import { type PublicKey, type SignatureCheck, verifyDetached } from './signature.js';
import { configureTransports, fetchBytes, joinUrl } from './transport.js';
import { parseOciUrl } from './transports/oci.js';
import { parseS3Url } from './transports/s3.js';

export { MAX_CLOCK_SKEW_MS } from './freshness.js';

export interface RepoConfig {
  name: string;
  url: string;
  /**
   * Further URLs serving the same repository (any scheme). Every URL is tried at each update and
   * the newest index that verifies wins: a mirror that is down, stale or hostile is skipped.
   */
  mirrors?: string[];
  /**
   * Fingerprints of the trusted keys allowed to sign this repository (apt's Signed-By). A key
   * trusted for one repository vouches for nothing in another. Absent in configurations written
   * before keys were bound: see `bindingFor`.
   */
  keys?: string[];
  /** The `repository` its index must name: given at `repo add`, else pinned at the first update. */
  repository?: string;
}

/** What was last accepted from a repository: its verified index and where it came from. */
export interface RepoState {
  name: string;
  /** Where the accepted index came from. */
  url: string;
  /** Where its packages are fetched from, in order: `url` first, then the other mirrors. */
  urls: string[];
  index: RepoIndex;
  signer: string;
  fetched: string;
  /** The keys bound to the repository now (from its configuration). */
  keys: string[];
}

export interface UpdateOutcome {
  repo: string;
  ok: boolean;
  changed: boolean;
  version?: number;
  packages?: number;
  error?: { code: string; message: string; hint?: string };
  rotatedKey?: string;
  /** A configuration with no bound key was bound to this one (the only trusted key). */
  boundKey?: string;
  /** The URL whose index was accepted (when mirrors are listed). */
  url?: string;
  /** Mirrors skipped in this update, and why. */
  skipped?: { url: string; code: string; message: string }[];
}

/** What `repo add` may say beyond name and URL. */
export interface RepoAddOptions {
  keys?: string[];
  /** Mirror URLs of the same repository. */
  mirrors?: string[];
  repository?: string;
}

const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_SIG_BYTES = 64 * 1024;

const normalizeFpr = (f: string) => f.replace(/\s+/g, '').toLowerCase();
/**
 * The index format's checks, loaded where an index is parsed: with zod (375 KB, ~25 ms to load)
 * they are most of what an update that finds the index unchanged would otherwise load for nothing.
 */
const format = () => import('./format.js');
/** parseIndex, with zod loaded only for an index index-fast.ts does not accept outright. */
const parseIndex = async (bytes: Uint8Array, asParsed?: { value: boolean }) =>
  parseIndexFast(bytes, asParsed) ?? (await format()).parseIndex(bytes);
/** parseStoredIndex, likewise (its own errors, and its leniency, for what fastIndex does not take). */
const parseStoredIndex = async (bytes: Uint8Array) => {
  let fast: RepoIndex | undefined;
  try {
    fast = parseIndexFast(bytes);
  } catch {}
  return fast ?? (await format()).parseStoredIndex(bytes);
};

export function normalizeRepoUrl(url: string): string {
  if (/^(https?|file):\/\//.test(url)) return url.replace(/\/+$/, '');
  if (url.startsWith('oci://')) {
    parseOciUrl(url);
    return url;
  }
  if (url.startsWith('s3://')) {
    parseS3Url(url.replace(/\/+$/, ''));
    return url.replace(/\/+$/, '');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw new UsageError(
      `Unsupported repository URL ${url}`,
      'Use https://…, http://…, oci://…, s3://…, file:///… or a local folder path.',
    );
  return pathToFileURL(path.resolve(url)).href;
}

export class Repositories {
  constructor(
    private readonly paths: Layout,
    private readonly keyring: Keyring,
    private readonly now: () => Date,
  ) {
    // Registry logins and AWS settings are read from this root's /etc/blueprint (root-only files).
    configureTransports({ etc: paths.etc });
  }

  async list(): Promise<RepoConfig[]> {
    let files: string[] = [];
    try {
      files = (await readdir(this.paths.reposDir)).filter((f) => f.endsWith('.json'));
    } catch {}
    const out: RepoConfig[] = [];
    for (const f of files.sort()) {
      const c = await readJsonIfExists<RepoConfig>(path.join(this.paths.reposDir, f));
      if (c) out.push(c);
    }
    return out;
  }

  /**
   * Adds a repository. `keys` binds it to those trusted keys; without them it is bound at its first
   * update only if exactly one key is trusted then (see `bindingFor`). Adding it again with the
   * same URL keeps its binding and pinned name unless new ones are given.
   */
  async add(name: string, url: string, opts: RepoAddOptions = {}): Promise<RepoConfig> {
    // `local` and `file` are origins of packages installed from files (local-key.ts): a repository
    // so named would be where they upgrade from.
    if (name === 'local' || name === 'file')
      throw new UsageError(
        `A repository cannot be named ${name}`,
        `${name} is the origin of packages installed from files; choose another name.`,
      );
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name))
      throw new UsageError(
        `Bad repository name ${name}`,
        'Use lower-case letters, digits, dot, dash, underscore.',
      );
    if (opts.repository !== undefined && !/^\S.{0,99}$/.test(opts.repository))
      throw new UsageError(`Bad published repository name ${JSON.stringify(opts.repository)}`);
    const existing = (await this.list()).find((r) => r.name === name);
    const keys = opts.keys?.length ? await this.trustedFingerprints(opts.keys) : existing?.keys;
    const repository = opts.repository ?? existing?.repository;
    const mirrors = opts.mirrors?.length
      ? [...new Set(opts.mirrors.map(normalizeRepoUrl))].filter((m) => m !== normalizeRepoUrl(url))
      : existing?.mirrors;
    const config: RepoConfig = {
      name,
      url: normalizeRepoUrl(url),
      ...(mirrors?.length ? { mirrors } : {}),
      ...(keys?.length ? { keys } : {}),
      ...(repository ? { repository } : {}),
    };
    if (existing && existing.url !== config.url)
      throw new ConflictError(
        `Repository ${name} already exists with URL ${existing.url}`,
        'repo-exists',
        `Remove it first: bpkg repo remove ${name}`,
      );
    await this.save(config);
    return config;
  }

  /** Binds a repository to exactly these trusted keys (replacing any binding). */
  async setKeys(name: string, fingerprints: string[]): Promise<RepoConfig> {
    const existing = (await this.list()).find((r) => r.name === name);
    if (!existing) throw new NotFoundError(`No repository named ${name}`, 'See `bpkg repo list`.');
    if (fingerprints.length === 0)
      throw new UsageError('Name at least one key', `Example: bpkg repo set-key ${name} FPR`);
    const config = { ...existing, keys: await this.trustedFingerprints(fingerprints) };
    await this.save(config);
    return config;
  }

  private save(config: RepoConfig): Promise<void> {
    return writeJsonAtomic(path.join(this.paths.reposDir, `${config.name}.json`), config);
  }

  /** Full fingerprints of keys in the keyring; anything else (unknown, partial) is refused. */
  private async trustedFingerprints(given: string[]): Promise<string[]> {
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
          `Key ${fpr} is not trusted on this box`,
          'Trust it first: bpkg key add FILE --fingerprint FPR',
          'key-not-trusted',
        );
      if (!out.includes(fpr)) out.push(fpr);
    }
    return out;
  }

  /**
   * The keys allowed to sign `repo`. A configuration from before keys were bound (no `keys`) is
   * bound to the only trusted key when exactly one is trusted: then no other key exists that could
   * be confused with it. With several trusted keys it is refused until the admin says which
   * (`bpkg repo set-key`); with none, verification fails as untrusted, as before.
   */
  private async bindingFor(repo: RepoConfig): Promise<{ keys: string[]; bound?: string }> {
    if (repo.keys?.length) return { keys: repo.keys };
    const trusted = await this.keyring.list();
    if (trusted.length === 1) return { keys: [trusted[0]!.fingerprint], bound: trusted[0]!.fingerprint };
    if (trusted.length === 0) return { keys: [] };
    throw new VerificationError(
      `Repository ${repo.name} is not bound to a signing key, and ${trusted.length} keys are trusted`,
      'repo-key-unbound',
      `Say which key signs it: bpkg repo set-key ${repo.name} FPR (fingerprints: bpkg key list)`,
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
  private async verifyFor(
    repo: RepoConfig,
    keys: string[],
    data: Uint8Array,
    sig: Uint8Array,
    what: string,
  ): Promise<SignatureCheck> {
    // Keys of the plain shape are checked without OpenPGP.js (sig-fast.ts); anything it does not
    // accept outright, good or bad, is judged by OpenPGP.js as before.
    const fast = verifyDetachedFast(data, sig, await this.keyring.fastKeys(keys), this.now());
    if (fast) return fast;
    try {
      return await verifyDetached(data, sig, await this.keysFor(keys), what, this.now());
    } catch (err) {
      if (!(err instanceof VerificationError) || err.code !== 'untrusted-signer') throw err;
      const others = (await this.keyring.keys()).filter((k) => !keys.includes(k.getFingerprint()));
      const foreign = await verifyDetached(data, sig, others, what, this.now()).catch(() => undefined);
      if (!foreign) throw err;
      throw foreignKeyError(repo.name, what, foreign.signer);
    }
  }

  async remove(name: string): Promise<void> {
    if (!(await this.list()).some((r) => r.name === name))
      throw new NotFoundError(`No repository named ${name}`, 'See `bpkg repo list`.');
    await rm(path.join(this.paths.reposDir, `${name}.json`), { force: true });
    await rm(path.join(this.paths.listsDir, name), { recursive: true, force: true });
  }

  /** The last verified index of each repository (what `search`, `info` and `install` use). */
  async states(): Promise<RepoState[]> {
    const out: RepoState[] = [];
    for (const r of await this.list()) {
      const s = await this.state(r);
      if (s) out.push(s);
    }
    return out;
  }

  private async state(repo: RepoConfig): Promise<RepoState | undefined> {
    const dir = path.join(this.paths.listsDir, repo.name);
    const meta = await readJsonIfExists<Omit<RepoState, 'index' | 'keys' | 'urls'>>(
      path.join(dir, 'meta.json'),
    );
    if (!meta) return undefined;
    const urls = [meta.url, ...urlsOf(repo).filter((u) => u !== meta.url)];
    const kept = await readVerified(this.paths, repo.name);
    const index =
      kept && kept.signer === meta.signer ? kept.index : await this.verifyKept(repo.name, meta.signer);
    return { ...meta, urls, index, keys: repo.keys ?? [] };
  }

  /**
   * The kept index when its sealed cache is missing or changed (see index-cache.ts): verified
   * against its signature again, by the key that signed it at `update`, then cached again. Never
   * trusted as it lies on disk.
   */
  private async verifyKept(name: string, signer: string): Promise<RepoIndex> {
    const dir = path.join(this.paths.listsDir, name);
    let bytes: Buffer;
    let index: RepoIndex;
    try {
      bytes = await readFile(path.join(dir, 'index.json'));
      const sig = await readFile(path.join(dir, 'index.json.asc'));
      const keys = (await this.keyring.keys()).filter((k) => k.getFingerprint() === signer.toLowerCase());
      await verifyDetached(bytes, sig, keys, `The kept index of repository ${name}`, this.now());
      index = await parseStoredIndex(bytes);
    } catch {
      throw new VerificationError(
        `The kept index of repository ${name} does not match its signature: it was changed after it was verified`,
        'kept-index-unverified',
        `Nothing from it is used. Remove ${dir} and run \`bpkg update\` to fetch and verify it again.`,
      );
    }
    // A reader that may not write here (not root) still gets the verified answer.
    await writeVerified(this.paths, name, { index, signer, sha256: sha256Hex(bytes) }).catch(() => {});
    return index;
  }

  /**
   * Why a kept index must not be used now: accepted before the repository was bound to its keys
   * (by another key, or naming another repository). `bpkg update` replaces it.
   */
  stateProblem(s: RepoState): VerificationError | undefined {
    if (!s.keys.includes(s.signer.toLowerCase()))
      return new VerificationError(
        `The kept index of repository ${s.name} was signed by ${s.signer}, not a key bound to it`,
        s.keys.length ? 'wrong-repository-key' : 'repo-key-unbound',
        `Run \`bpkg update\`${s.keys.length ? '' : `, or bind its key: bpkg repo set-key ${s.name} FPR`}.`,
      );
    return undefined;
  }

  /** A package of `s` must be signed by one of the repository's own keys, like its index. */
  requireOwnSigner(s: RepoState, signer: string, what: string): string {
    if (s.keys.includes(signer.toLowerCase())) return signer;
    throw foreignKeyError(s.name, what, signer);
  }

  /** Refuses an index that is stale (freeze), from the future, or older than the last one (rollback). */
  checkFreshness(
    index: Pick<RepoIndex, 'expires' | 'generated' | 'version'>,
    previous: Pick<RepoIndex, 'version'> | undefined,
    what: string,
    sameBytes: boolean,
  ): void {
    checkFreshness(this.now(), index, previous, what, sameBytes);
  }

  /** How long one mirror may take to serve its index (a stalled mirror must not freeze updates). */
  mirrorDeadlineMs = 2 * 60 * 1000;

  /**
   * Fetches and verifies one repository's index from each of its URLs, and accepts the newest that
   * verifies. On any failure of all of them the previous verified index stays in use and the error
   * is reported in the outcome; a failing mirror beside a good one is only reported as skipped.
   */
  async updateOne(repo: RepoConfig, signal?: AbortSignal): Promise<UpdateOutcome> {
    const dir = path.join(this.paths.listsDir, repo.name);
    const urls = urlsOf(repo);
    try {
      const binding = await this.bindingFor(repo);
      // The last accepted index is the rollback baseline only if it is this repository's own:
      // one accepted before keys were bound (by another key, for another name) must not lock out
      // the real one.
      const prevBytes = await readFile(path.join(dir, 'index.json')).catch(() => undefined);
      const prevMeta = await readJsonIfExists<{ signer?: string }>(path.join(dir, 'meta.json'));
      const skipped: NonNullable<UpdateOutcome['skipped']> = [];
      let best: (Fetched & { url: string }) | undefined;
      let firstError: unknown;
      for (const url of urls) {
        const deadline = AbortSignal.timeout(this.mirrorDeadlineMs);
        const s = signal ? AbortSignal.any([signal, deadline]) : deadline;
        try {
          const got = await this.fetchFrom(repo, url, binding.keys, prevBytes, prevMeta?.signer, s);
          if (!best || got.head.version > best.head.version) best = { ...got, url };
        } catch (err) {
          if (signal?.aborted) throw err;
          const e = asBlueprintError(deadline.aborted ? timedOut(url) : err);
          firstError ??= e;
          skipped.push({ url, code: e.code, message: e.message });
        }
      }
      if (!best) throw firstError;
      const { bytes, sig, check, head, index, asParsed, same, keys, rotated } = best;
      if (!same) {
        await writeFileAtomic(path.join(dir, 'index.json.asc'), sig);
        await writeFileAtomic(path.join(dir, 'index.json'), bytes);
      }
      if (index)
        await writeVerified(
          this.paths,
          repo.name,
          { index, signer: check.signer, sha256: head.sha256 },
          asParsed ? bytes : undefined,
        );
      else if (!(await cachesSealed(this.paths, repo.name))) {
        // Unchanged, but the cache or the table is gone or was changed: made again from the bytes just verified.
        const again = { value: false };
        await writeVerified(
          this.paths,
          repo.name,
          { index: await parseIndex(bytes, again), signer: check.signer, sha256: head.sha256 },
          again.value ? bytes : undefined,
        );
      }
      await writeJsonAtomic(path.join(dir, 'meta.json'), {
        name: repo.name,
        url: best.url,
        signer: check.signer,
        fetched: this.now().toISOString(),
      });
      // Bindings learnt from this update: the only trusted key, a vouched-for rotated key, the name.
      if (
        keys.length !== (repo.keys?.length ?? 0) ||
        !keys.every((k) => repo.keys?.includes(k)) ||
        repo.repository === undefined
      )
        await this.save({ ...repo, keys, repository: head.repository });
      return {
        repo: repo.name,
        ok: true,
        changed: !same,
        version: head.version,
        packages: head.packages,
        ...(rotated ? { rotatedKey: rotated } : {}),
        ...(binding.bound ? { boundKey: binding.bound } : {}),
        ...(urls.length > 1 ? { url: best.url } : {}),
        ...(skipped.length ? { skipped } : {}),
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { repo: repo.name, ok: false, changed: false, error: asBlueprintError(err).toJSON() };
    }
  }

  /** One URL's index: signed by the repository's keys, naming it, fresh, not older than the last. */
  private async fetchFrom(
    repo: RepoConfig,
    url: string,
    boundKeys: string[],
    prevBytes: Buffer | undefined,
    prevSigner: string | undefined,
    signal: AbortSignal,
  ): Promise<Fetched> {
    const keys = [...boundKeys];
    const rotated = await this.acceptRotation(repo, url, keys, signal);
    const bytes = await fetchBytes(joinUrl(url, 'index.json'), MAX_INDEX_BYTES, signal);
    let sig: Uint8Array;
    try {
      sig = await fetchBytes(joinUrl(url, 'index.json.asc'), MAX_SIG_BYTES, signal);
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new VerificationError(
          `Repository ${repo.name} has no index.json.asc signature`,
          'no-signature',
          'Unsigned repositories are never used.',
        );
      throw err;
    }
    const what = `The index of repository ${repo.name}`;
    const check = await this.verifyFor(repo, keys, bytes, sig, what);
    const same = prevBytes ? Buffer.compare(prevBytes, Buffer.from(bytes)) === 0 : false;
    // The kept index's sealed head, when it was made from exactly the kept bytes (their SHA-256):
    // what judging the new index needs of the old one, without parsing the old one. The same
    // bytes verified again by the same signer need no parse at all: the head holds what they say.
    const sha256 = sha256Hex(bytes);
    const prevHead = prevBytes ? await readHead(this.paths, repo.name) : undefined;
    const keptHead =
      prevHead && prevHead.sha256 === (same ? sha256 : sha256Hex(prevBytes!)) ? prevHead : undefined;
    const asParsed = { value: false };
    const index = same && keptHead?.signer === check.signer ? undefined : await parseIndex(bytes, asParsed);
    const head = index ? headOf({ index, signer: check.signer, sha256 }) : keptHead!;
    if (repo.repository !== undefined && head.repository !== repo.repository)
      throw new VerificationError(
        `${what} names repository ${JSON.stringify(head.repository)}, not ${JSON.stringify(repo.repository)}`,
        'repository-mismatch',
        'This URL serves another repository’s index (a mirror mix-up or an attack); the current index stays in use. If the publisher really renamed it, remove and add the repository again.',
      );
    let previous: Pick<IndexHead, 'version' | 'repository'> | undefined = same
      ? head
      : prevBytes
        ? (keptHead ?? (await parseStoredIndex(prevBytes)))
        : undefined;
    if (
      previous &&
      (!keys.includes(prevSigner?.toLowerCase() ?? '') || previous.repository !== head.repository)
    )
      previous = undefined;
    const sameAsBaseline = previous !== undefined && same;
    this.checkFreshness(head, previous, what, sameAsBaseline);
    return {
      bytes,
      sig,
      check,
      head,
      ...(index ? { index, ...(asParsed.value ? { asParsed: true } : {}) } : {}),
      same: sameAsBaseline,
      keys,
      ...(rotated ? { rotated } : {}),
    };
  }

  /**
   * Key rotation: a repository may publish `keys/rotation.json` (with `.asc`) signed by a key we
   * trust for that repository, announcing its next key. The new key becomes trusted, for that
   * repository only (added to `keys`, which the caller saves once the index verifies), because the
   * old one vouched for it.
   */
  private async acceptRotation(
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
    const sig = await fetchBytes(joinUrl(url, 'keys/rotation.json.asc'), MAX_SIG_BYTES, signal);
    await this.verifyFor(repo, keys, bytes, sig, `Key rotation notice of ${repo.name}`);
    const notice = parseJsonBytes(bytes, 'Key rotation notice', 'bad-rotation') as {
      newKey?: string;
      fingerprint?: string;
    };
    if (typeof notice.newKey !== 'string' || typeof notice.fingerprint !== 'string')
      throw new VerificationError('Key rotation notice lacks newKey/fingerprint', 'bad-rotation');
    const fingerprint = notice.fingerprint.toLowerCase();
    if (keys.includes(fingerprint)) return undefined;
    if (!(await this.keyring.list()).some((k) => k.fingerprint === fingerprint))
      await this.keyring.add(notice.newKey, fingerprint);
    keys.push(fingerprint);
    return fingerprint;
  }
}

interface Fetched {
  bytes: Uint8Array;
  sig: Uint8Array;
  check: SignatureCheck;
  head: IndexHead;
  /** The index parsed; absent when the kept caches already hold it (these bytes, this signer). */
  index?: RepoIndex;
  /** `index` is exactly what JSON.parse made of `bytes` (index-fast.ts): the cache can be the bytes. */
  asParsed?: boolean;
  same: boolean;
  /** The bound keys, with a rotated key this URL's notice vouched for. */
  keys: string[];
  rotated?: string;
}

/** A repository's URLs: its own first, then its mirrors. */
export function urlsOf(repo: RepoConfig): string[] {
  return [repo.url, ...(repo.mirrors ?? []).filter((m) => m !== repo.url)];
}

function asBlueprintError(err: unknown): BlueprintError {
  return err instanceof BlueprintError ? err : new BlueprintError((err as Error).message, 'update-failed');
}

function timedOut(url: string): BlueprintError {
  return new BlueprintError(
    `${url} did not serve its index in time`,
    'mirror-timeout',
    'The mirror is down or stalling; other mirrors were tried.',
  );
}

function foreignKeyError(repo: string, what: string, signer: string): VerificationError {
  return new VerificationError(
    `${what} is signed by ${signer}, which is not a key trusted for repository ${repo}`,
    'wrong-repository-key',
    `This URL may serve another repository's files (a mirror mix-up or an attack); nothing was used. Only if the publisher of ${repo} confirms it moved to that key: bpkg repo set-key ${repo} ${signer}`,
  );
}
