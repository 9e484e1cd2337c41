import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, ConflictError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import { readKeptObject } from '../system/damaged-file.js';
import { writeFileAtomic, writeJsonAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { showFingerprint } from './fingerprint-text.js';
import type { RepoIndex } from './format.js';
import { checkFreshness } from './freshness.js';
import { cachesSealed, readVerified, sha256Hex, writeScanned, writeVerified } from './index-cache.js';
import { IndexStager } from './index-stage.js';
import type { Keyring } from './keyring.js';
import { notBundleTop, pathThere } from './repo-add-checks.js';
import {
  checkRepoNames,
  normalizeRepoUrl,
  type RepoAddOptions,
  type RepoConfig,
  readRepoConfigs,
  sameRepoConfig,
  urlsOf,
  writeRepoConfig,
} from './repo-config.js';
import { type Fetched, fetchIndexFrom, parseIndex, parseStoredIndex } from './repo-fetch.js';
import { foreignKeyError, RepoTrust } from './repo-trust.js';
import { verifyDetached } from './signature.js';
import { configureTransports } from './transport.js';

// The configuration (repo-config.ts), key binding and rotation (repo-trust.ts) and one URL's
// index fetched and judged (repo-fetch.ts) live beside this file; Repositories ties them together.
export { MAX_CLOCK_SKEW_MS } from './freshness.js';
export {
  normalizeRepoUrl,
  type RepoAddOptions,
  type RepoConfig,
  urlsOf,
} from './repo-config.js';

/** What was last accepted from a repository: its verified index and where it came from. */
export interface RepoState {
  name: string;
  /** Where the accepted index came from. */
  url: string;
  /** Where its packages are fetched from, in order: `url` first, then the other mirrors. */
  urls: string[];
  index: RepoIndex;
  signer: string;
  /** SHA-256 of the kept index.json bytes that were verified. */
  sha256: string;
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
  /**
   * When every URL of a repository with mirrors failed: each one's error, in the order tried
   * (`error` is the one that decides the outcome: a refusal over an outage).
   */
  errors?: { url: string; code: string; message: string; hint?: string }[];
}

/**
 * A repository's meta.json (what `update` last accepted: its URL and signer). One not JSON, or
 * without them, is damagedFile: search, install and update name it and the way back.
 */
const readMeta = (dir: string) =>
  readKeptObject<Omit<RepoState, 'index' | 'keys' | 'urls'>>(
    path.join(dir, 'meta.json'),
    (o) => typeof o.signer === 'string' && typeof o.url === 'string',
    `It records the index last accepted from the repository. Remove the folder ${dir} and run \`bpkg update\`: it fetches and verifies the index again.`,
  );

export class Repositories {
  private readonly trust: RepoTrust;

  constructor(
    private readonly paths: Layout,
    private readonly keyring: Keyring,
    private readonly now: () => Date,
  ) {
    this.trust = new RepoTrust(keyring, now);
    // Registry logins and AWS settings are read from this root's /etc/blueprint (root-only files).
    configureTransports({ etc: paths.etc });
  }

  list(): Promise<RepoConfig[]> {
    return readRepoConfigs(this.paths);
  }

  /**
   * Adds a repository. `keys` binds it to those trusted keys; without them it is bound at its first
   * update only if exactly one key is trusted then (see `RepoTrust.bindingFor`). Adding it again
   * with the same URL keeps its binding and pinned name unless new ones are given.
   */
  async add(name: string, url: string, opts: RepoAddOptions = {}): Promise<RepoConfig> {
    checkRepoNames(name, opts.repository);
    for (const u of [url, ...(opts.mirrors ?? [])]) await pathThere(u);
    await notBundleTop(name, url, opts.keys);
    const existing = (await this.list()).find((r) => r.name === name);
    const keys = opts.keys?.length ? await this.trust.trustedFingerprints(opts.keys) : existing?.keys;
    const repository = opts.repository ?? existing?.repository;
    const mirrors =
      opts.mirrors?.length || opts.exactMirrors
        ? [...new Set((opts.mirrors ?? []).map(normalizeRepoUrl))].filter((m) => m !== normalizeRepoUrl(url))
        : existing?.mirrors;
    const config: RepoConfig = {
      name,
      url: normalizeRepoUrl(url),
      ...(mirrors?.length ? { mirrors } : {}),
      ...(keys?.length ? { keys } : {}),
      ...(repository ? { repository } : {}),
    };
    if (existing && existing.url !== config.url) {
      const keyed = existing.keys?.length
        ? ` --key ${existing.keys.map(showFingerprint).join(' --key ')}`
        : '';
      throw new ConflictError(
        `Repository ${name} already exists with URL ${existing.url}`,
        'repo-exists',
        `To take ${name} from ${config.url} instead: \`bpkg repo remove ${name}\` (installed packages stay), then \`bpkg repo add ${name} ${config.url}${keyed}\`. If it serves the same repository, add it as a mirror: \`bpkg repo add ${name} ${existing.url} --mirror ${config.url}\`.`,
      );
    }
    // Added again as it is: nothing is written (a provisioning script's repeated add changes nothing).
    if (existing && sameRepoConfig(existing, config)) return existing;
    await this.save(config);
    return config;
  }

  /** Binds a repository to exactly these trusted keys (replacing any binding). */
  async setKeys(name: string, fingerprints: string[]): Promise<RepoConfig> {
    const existing = (await this.list()).find((r) => r.name === name);
    if (!existing) throw new NotFoundError(`No repository named ${name}`, 'See `bpkg repo list`.');
    if (fingerprints.length === 0)
      throw new UsageError('Name at least one key', `Example: \`bpkg repo set-key ${name} FPR\``);
    const config = { ...existing, keys: await this.trust.trustedFingerprints(fingerprints) };
    await this.save(config);
    return config;
  }

  private save(config: RepoConfig): Promise<void> {
    return writeRepoConfig(this.paths, config);
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

  /**
   * The key that signed each repository's accepted index (its meta.json, written with the index at
   * `update`), without reading the indexes: apply asks it once a plan (a box's 5 repositories of
   * 10,000 packages each were parsed for it). One never fetched, or whose meta.json is damaged, is
   * left out (its kept index is not used either: states()).
   */
  async signers(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const r of await this.list()) {
      const meta = await readMeta(path.join(this.paths.listsDir, r.name)).catch(() => undefined);
      if (meta) out.set(r.name, meta.signer);
    }
    return out;
  }

  private async state(repo: RepoConfig): Promise<RepoState | undefined> {
    const dir = path.join(this.paths.listsDir, repo.name);
    const meta = await readMeta(dir);
    if (!meta) return undefined;
    const urls = [meta.url, ...urlsOf(repo).filter((u) => u !== meta.url)];
    const kept = await readVerified(this.paths, repo.name);
    const { index, sha256 } =
      kept && kept.signer === meta.signer ? kept : await this.verifyKept(repo.name, meta.signer);
    return { ...meta, urls, index, sha256, keys: repo.keys ?? [] };
  }

  /**
   * The kept index when its sealed cache is missing or changed (see index-cache.ts): verified
   * against its signature again, by the key that signed it at `update`, then cached again. Never
   * trusted as it lies on disk.
   */
  private async verifyKept(name: string, signer: string): Promise<{ index: RepoIndex; sha256: string }> {
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
    const sha256 = sha256Hex(bytes);
    await writeVerified(this.paths, name, { index, signer, sha256 }).catch(() => {});
    return { index, sha256 };
  }

  /**
   * Why a kept index must not be used now: accepted before the repository was bound to its keys
   * (by another key, or naming another repository). `bpkg update` replaces it.
   */
  stateProblem(s: RepoState): VerificationError | undefined {
    if (!s.keys.includes(s.signer.toLowerCase()))
      return new VerificationError(
        `The kept index of repository ${s.name} was signed by ${showFingerprint(s.signer)}, not a key bound to it`,
        s.keys.length ? 'wrong-repository-key' : 'repo-key-unbound',
        `Run \`bpkg update\`${s.keys.length ? '' : `, or bind its key: \`bpkg repo set-key ${s.name} FPR\``}.`,
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
    // Each URL's new index written beside the kept one while it is judged; what is not committed
    // (a refused index, a mirror's older one) is removed before this returns.
    const stager = new IndexStager(dir);
    try {
      const binding = await this.trust.bindingFor(repo, await this.list());
      // The last accepted index is the rollback baseline only if it is this repository's own:
      // one accepted before keys were bound (by another key, for another name) must not lock out
      // the real one.
      const prevBytes = await readFile(path.join(dir, 'index.json')).catch(() => undefined);
      // Damaged, it is refused, not taken as absent: its signer decides the rollback baseline.
      const prevMeta = await readMeta(dir);
      const skipped: NonNullable<UpdateOutcome['skipped']> = [];
      let best: (Fetched & { url: string }) | undefined;
      let firstError: unknown;
      const failures: NonNullable<UpdateOutcome['errors']> = [];
      const ctx = { paths: this.paths, trust: this.trust, now: this.now, stager };
      for (const url of urls) {
        const deadline = AbortSignal.timeout(this.mirrorDeadlineMs);
        const s = signal ? AbortSignal.any([signal, deadline]) : deadline;
        try {
          const got = await fetchIndexFrom(ctx, repo, url, binding.keys, prevBytes, prevMeta?.signer, s);
          if (!best || got.head.version > best.head.version) best = { ...got, url };
        } catch (err) {
          if (signal?.aborted) throw err;
          const e = asBlueprintError(deadline.aborted ? timedOut(url) : err);
          // A refusal (signature, hash, schema, rollback) is the answer over an earlier mirror's
          // outage: a tampered index behind a mirror that is down must not read as 'not reached'.
          if (
            firstError === undefined ||
            (e instanceof VerificationError && !(firstError instanceof VerificationError))
          )
            firstError = e;
          skipped.push({ url, code: e.code, message: e.message });
          failures.push({ url, ...e.toJSON() });
        }
      }
      if (!best) {
        if (urls.length < 2) throw firstError;
        return {
          repo: repo.name,
          ok: false,
          changed: false,
          error: asBlueprintError(firstError).toJSON(),
          errors: failures,
        };
      }
      const { bytes, sig, check, head, index, asParsed, scanned, same, keys, rotated, staged } = best;
      // The signature first (StagedIndex.commit); not staged: the kept bytes, baseline not its own.
      if (!same && staged) await staged.commit();
      else if (!same) {
        await writeFileAtomic(path.join(dir, 'index.json.asc'), sig);
        await writeFileAtomic(path.join(dir, 'index.json'), bytes);
      }
      if (scanned) await writeScanned(this.paths, repo.name, scanned, check.signer, head.sha256, bytes);
      else if (index)
        await writeVerified(
          this.paths,
          repo.name,
          { index, signer: check.signer, sha256: head.sha256 },
          asParsed ? bytes : undefined,
        );
      else if (!(await cachesSealed(this.paths, repo.name, { head, bytes }))) {
        // Unchanged, but the cache or the table is gone or was changed: made again from the bytes just verified.
        const again = { value: false };
        await writeVerified(
          this.paths,
          repo.name,
          { index: await parseIndex(bytes, again), signer: check.signer, sha256: head.sha256 },
          again.value ? bytes : undefined,
        );
      }
      // meta.json and the bindings learnt (the only trusted key, a rotated key, the name) at once:
      // the pair and caches are committed, a crash keeping either alone is healed by the next
      // update (meta.json is rewritten each time; a signer not bound or not the kept index's is refused).
      const learnt =
        keys.length !== (repo.keys?.length ?? 0) ||
        !keys.every((k) => repo.keys?.includes(k)) ||
        repo.repository === undefined;
      await settled([
        writeJsonAtomic(path.join(dir, 'meta.json'), {
          name: repo.name,
          url: best.url,
          signer: check.signer,
          fetched: this.now().toISOString(),
        }),
        learnt ? this.save({ ...repo, keys, repository: head.repository }) : undefined,
      ]);
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
      const { folderGoneHint } = await import('./repo-folder-gone.js');
      const error = asBlueprintError(await folderGoneHint(repo, err)).toJSON();
      return { repo: repo.name, ok: false, changed: false, error };
    } finally {
      await stager.finish();
    }
  }
}

/** All of `writes` over, then the first failure thrown (none left in flight after a failure). */
async function settled(writes: (Promise<void> | undefined)[]): Promise<void> {
  for (const r of await Promise.allSettled(writes)) if (r.status === 'rejected') throw r.reason;
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
