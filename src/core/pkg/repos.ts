import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlueprintError, ConflictError, NotFoundError, UsageError, VerificationError } from '../errors.js';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../system/fs.js';
import type { Layout } from '../system/paths.js';
import { parseIndex, parseJsonBytes, type RepoIndex } from './format.js';
import type { Keyring } from './keyring.js';
import { verifyDetached } from './signature.js';
import { fetchBytes, joinUrl } from './transport.js';

export interface RepoConfig {
  name: string;
  url: string;
}

/** What was last accepted from a repository: its verified index and where it came from. */
export interface RepoState {
  name: string;
  url: string;
  index: RepoIndex;
  signer: string;
  fetched: string;
}

export interface UpdateOutcome {
  repo: string;
  ok: boolean;
  changed: boolean;
  version?: number;
  packages?: number;
  error?: { code: string; message: string; hint?: string };
  rotatedKey?: string;
}

/** Clock skew tolerated for an index dated in the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_SIG_BYTES = 64 * 1024;

export function normalizeRepoUrl(url: string): string {
  if (/^(https?|file):\/\//.test(url)) return url.replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw new UsageError(
      `Unsupported repository URL ${url}`,
      'Use https://…, http://…, file:///… or a local folder path.',
    );
  return pathToFileURL(path.resolve(url)).href;
}

export class Repositories {
  constructor(
    private readonly paths: Layout,
    private readonly keyring: Keyring,
    private readonly now: () => Date,
  ) {}

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

  async add(name: string, url: string): Promise<RepoConfig> {
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name))
      throw new UsageError(
        `Bad repository name ${name}`,
        'Use lower-case letters, digits, dot, dash, underscore.',
      );
    const existing = (await this.list()).find((r) => r.name === name);
    const config = { name, url: normalizeRepoUrl(url) };
    if (existing && existing.url !== config.url)
      throw new ConflictError(
        `Repository ${name} already exists with URL ${existing.url}`,
        'repo-exists',
        `Remove it first: bpkg repo remove ${name}`,
      );
    await writeJsonAtomic(path.join(this.paths.reposDir, `${name}.json`), config);
    return config;
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
      const s = await this.state(r.name);
      if (s) out.push(s);
    }
    return out;
  }

  private async state(name: string): Promise<RepoState | undefined> {
    const dir = path.join(this.paths.listsDir, name);
    const meta = await readJsonIfExists<Omit<RepoState, 'index'>>(path.join(dir, 'meta.json'));
    if (!meta) return undefined;
    const bytes = await readFile(path.join(dir, 'index.json'));
    return { ...meta, index: parseIndex(bytes) };
  }

  /** Refuses an index that is stale (freeze), from the future, or older than the last one (rollback). */
  checkFreshness(index: RepoIndex, previous: RepoIndex | undefined, what: string, sameBytes: boolean): void {
    const now = this.now().getTime();
    const expires = Date.parse(index.expires);
    if (expires <= now)
      throw new VerificationError(
        `${what} expired on ${index.expires}`,
        'index-expired',
        'The repository has not been re-signed: a stale (possibly frozen) mirror. Ask the publisher, or use another mirror.',
      );
    if (Date.parse(index.generated) > now + MAX_CLOCK_SKEW_MS)
      throw new VerificationError(
        `${what} is dated ${index.generated}, in the future`,
        'index-from-future',
        'Check this machine’s clock (timedatectl); if it is right, the repository is misconfigured.',
      );
    if (previous && index.version < previous.version)
      throw new VerificationError(
        `${what} has version ${index.version}, older than the accepted ${previous.version} (rollback attack?)`,
        'index-rollback',
        'Keep using the current index; report the mirror to the publisher.',
      );
    if (previous && index.version === previous.version && !sameBytes)
      throw new VerificationError(
        `${what} changed content without raising its version ${index.version}`,
        'index-rollback',
        'The publisher must raise the index version with every change.',
      );
  }

  /**
   * Fetches and verifies one repository's index. On any failure the previous verified index stays
   * in use and the error is reported in the outcome.
   */
  async updateOne(repo: RepoConfig, signal?: AbortSignal): Promise<UpdateOutcome> {
    const dir = path.join(this.paths.listsDir, repo.name);
    try {
      const rotated = await this.acceptRotation(repo, signal);
      const bytes = await fetchBytes(joinUrl(repo.url, 'index.json'), MAX_INDEX_BYTES, signal);
      let sig: Uint8Array;
      try {
        sig = await fetchBytes(joinUrl(repo.url, 'index.json.asc'), MAX_SIG_BYTES, signal);
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
      const check = await verifyDetached(bytes, sig, await this.keyring.keys(), what, this.now());
      const index = parseIndex(bytes);
      const prevBytes = await readFile(path.join(dir, 'index.json')).catch(() => undefined);
      const previous = prevBytes ? parseIndex(prevBytes) : undefined;
      const same = prevBytes ? Buffer.compare(prevBytes, Buffer.from(bytes)) === 0 : false;
      this.checkFreshness(index, previous, what, same);
      if (!same) {
        await writeFileAtomic(path.join(dir, 'index.json.asc'), sig);
        await writeFileAtomic(path.join(dir, 'index.json'), bytes);
      }
      await writeJsonAtomic(path.join(dir, 'meta.json'), {
        name: repo.name,
        url: repo.url,
        signer: check.signer,
        fetched: this.now().toISOString(),
      });
      return {
        repo: repo.name,
        ok: true,
        changed: !same,
        version: index.version,
        packages: index.packages.length,
        ...(rotated ? { rotatedKey: rotated } : {}),
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      const e =
        err instanceof BlueprintError ? err : new BlueprintError((err as Error).message, 'update-failed');
      return { repo: repo.name, ok: false, changed: false, error: e.toJSON() };
    }
  }

  /**
   * Key rotation: a repository may publish `keys/rotation.json` (with `.asc`) signed by a key we
   * trust, announcing its next key. The new key becomes trusted because the old one vouched for it.
   */
  private async acceptRotation(repo: RepoConfig, signal?: AbortSignal): Promise<string | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(joinUrl(repo.url, 'keys/rotation.json'), MAX_SIG_BYTES * 4, signal);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const sig = await fetchBytes(joinUrl(repo.url, 'keys/rotation.json.asc'), MAX_SIG_BYTES, signal);
    await verifyDetached(
      bytes,
      sig,
      await this.keyring.keys(),
      `Key rotation notice of ${repo.name}`,
      this.now(),
    );
    const notice = parseJsonBytes(bytes, 'Key rotation notice', 'bad-rotation') as {
      newKey?: string;
      fingerprint?: string;
    };
    if (typeof notice.newKey !== 'string' || typeof notice.fingerprint !== 'string')
      throw new VerificationError('Key rotation notice lacks newKey/fingerprint', 'bad-rotation');
    const fingerprint = notice.fingerprint.toLowerCase();
    if ((await this.keyring.list()).some((k) => k.fingerprint === fingerprint)) return undefined;
    const added = await this.keyring.add(notice.newKey, fingerprint);
    return added.fingerprint;
  }
}
