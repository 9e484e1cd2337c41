/** The keys and repositories a box trusts (`bpkg key`, `bpkg repo`), for every front end. */
import { DeclinedError, UsageError } from '../core/errors.js';
import { showFingerprint } from '../core/pkg/fingerprint-text.js';
import type { KeyChanges, RepoConfig, TrustedKey } from '../core/pkg/index.js';
import { anyRepository } from '../core/pkg/node-lazy.js';
import { sameRepoConfig } from '../core/pkg/repo-config.js';
import { checkRoot } from '../core/pkg/update-fast.js';
import type { BoxContext } from './context.js';
import type { NewRepo, NewRepoChecked, RepoAdded } from './repo-add.js';

/**
 * Whether `name` is one a repository can have (`repo add` refuses others: core/pkg/repo-config.ts).
 * A remove of a name not configured is "nothing to do" only then: a look-alike (Cyrillic і in maіn)
 * is refused, not said to be gone while the repository it looks like stays.
 */
export const isRepositoryName = (name: string): boolean => /^[a-z0-9][a-z0-9._-]{0,62}$/.test(name);

/**
 * The package manager, after the root's folders are judged as its locked commands judge them
 * (checkRoot): a link on the way to etc/blueprint that leads out of --root carried `key add`'s and
 * `repo add`'s files out of it, where `bpkg clean` or `update` refused it (exit 7).
 */
async function fenced(ctx: BoxContext) {
  checkRoot(ctx.paths);
  return ctx.manager();
}

/** A trusted key and the repositories bound to it: the only ones it may sign (`repo add --key`). */
export type ListedKey = TrustedKey & { repositories: string[] };

/** Trusted publisher keys (`bpkg key`). Fingerprints are 40 hex digits. */
export interface KeyOps {
  /** Every trusted key, with the names of the repositories it signs (sorted; none: it signs no repository yet, only package files). */
  list(): Promise<ListedKey[]>;
  /**
   * Reads an armored public key without trusting it (to show its fingerprint and user IDs): only
   * the user IDs the key certified itself; any others in `uncertifiedUserIds`, never its names.
   */
  inspect(armored: string): Promise<TrustedKey & Pick<KeyChanges, 'uncertifiedUserIds'>>;
  /**
   * Trusts a key. With `fingerprint` the key must have it (no question); without one the admin is
   * asked `confirm({ kind: 'trust-key', key })`, and with no `confirm` (and no `yes`) it is refused.
   * A copy of a key trusted already (the same fingerprint, confirmed when it was first trusted: a
   * new subkey it certified, a revocation, a new expiry) is merged without asking, as gpg --import
   * merges one; what it changed is returned (KeyChanges).
   */
  trust(armored: string, opts?: { fingerprint?: string }): Promise<TrustedKey & KeyChanges>;
  /** Returns the full fingerprint of the key removed (FINGERPRINT may be its last 16+ digits). */
  remove(fingerprint: string): Promise<string>;
}

export function keyOps(ctx: BoxContext): KeyOps {
  return {
    async list() {
      const m = await ctx.manager();
      const [keys, repos] = await Promise.all([m.keyring.list(), m.repos.list()]);
      return keys.map((k) => ({
        ...k,
        repositories: repos
          .filter((r) => r.keys?.some((f) => f.toLowerCase() === k.fingerprint.toLowerCase()))
          .map((r) => r.name)
          .sort(),
      }));
    },
    inspect: async (armored) => (await ctx.manager()).keyring.inspect(armored),
    async trust(armored, opts = {}) {
      const m = await ctx.manager();
      if (!opts.fingerprint) {
        const key = await m.keyring.inspect(armored);
        // A revoked key (a revocation certificate applied) vouches for nothing: no trust to confirm.
        // A copy of a key trusted already asks none either: its fingerprint was confirmed then.
        const trusted = (await m.keyring.list()).some((k) => k.fingerprint === key.fingerprint);
        if (key.revoked || trusted) return (await fenced(ctx)).keyring.add(armored);
        if (!ctx.options.yes && !ctx.options.confirm)
          throw new UsageError(
            'Refusing to trust a key without its fingerprint',
            `Pass --fingerprint ${showFingerprint(key.fingerprint)} after checking it with the publisher (or --yes).`,
          );
        if (!(await ctx.ask({ kind: 'trust-key', key }))) throw new DeclinedError('trust key');
      }
      return (await fenced(ctx)).keyring.add(armored, opts.fingerprint);
    },
    remove: async (fingerprint) => (await fenced(ctx)).keyring.remove(fingerprint),
  };
}

/** A configured repository with what its last verified index says (absent: never fetched). */
export type RepoRow = RepoConfig & {
  version?: number;
  expires?: string;
  /** Fingerprint of the key that signed the verified index. */
  signer?: string;
  packages?: number;
  /** The names its verified index offers, sorted (`list({ detail: true })` only). */
  packageNames?: string[];
  /** When its index was last fetched and accepted (`bpkg update`), ISO 8601 (`detail` only). */
  fetched?: string;
};

/** What `repo add` did: a new repository, the same one again (nothing written), or one changed. */
export type AddedRepo = RepoConfig &
  (
    | { status: 'added' | 'unchanged' }
    | {
        status: 'changed';
        /** The configuration it replaced (its keys, mirrors, pinned name). */
        previous: RepoConfig;
      }
  );

/** Configured repositories (`bpkg repo`). */
export interface RepoOps {
  /** `detail`: with each one's package names and fetch time too (the dashboard's page). */
  list(opts?: { detail?: boolean }): Promise<RepoRow[]>;
  /** Whether any repository is configured, without reading one (a count of updates asks first). */
  any(): Promise<boolean>;
  /**
   * `keys`: fingerprints of trusted keys that sign it; `repository`: the name its index must carry.
   * A name already configured with this URL keeps what is not given again; another URL is refused
   * (`repo-exists`). The answer says which it was: added, unchanged (nothing written) or changed.
   */
  add(
    name: string,
    url: string,
    opts?: { keys?: string[]; repository?: string; mirrors?: string[] },
  ): Promise<AddedRepo>;
  /** Replaces the repository's bound keys. */
  setKeys(name: string, fingerprints: string[]): Promise<RepoConfig>;
  remove(name: string): Promise<void>;
  /**
   * A new repository with its own key, pasted (the dashboard's "Add a repository…"): what
   * `checkNew` refuses writes nothing (repo-add.ts); `addWithKey` trusts the key shown (pinned to
   * its fingerprint) for that repository alone and runs the first update, undone if that refuses
   * its index (kept, as `bpkg repo add` keeps it, when no URL could be reached).
   */
  checkNew(ask: NewRepo): Promise<NewRepoChecked>;
  addWithKey(
    ask: NewRepo & { fingerprint: string },
    step: (done: { trusted?: TrustedKey; added?: AddedRepo }) => void,
    signal?: AbortSignal,
  ): Promise<RepoAdded>;
}

async function rebuildEgressOf(root: string): Promise<void> {
  await (await import('../core/setup/egress-disk.js')).rebuildEgress(root);
}

export function repoOps(ctx: BoxContext): RepoOps {
  const ops: RepoOps = {
    checkNew: async (ask) => (await import('./repo-add.js')).checkNewRepo(ctx, keyOps(ctx), ask),
    addWithKey: async (ask, step, signal) =>
      (await import('./repo-add.js')).addRepoWithKey(ctx, keyOps(ctx), ops, ask, step, signal),
    any: async () => anyRepository(ctx.paths),
    async list(opts = {}) {
      const m = await ctx.manager();
      const [repos, states] = await Promise.all([m.repos.list(), m.repos.states()]);
      return repos.map((r) => {
        const s = states.find((x) => x.name === r.name);
        return {
          ...r,
          ...(s
            ? {
                version: s.index.version,
                expires: s.index.expires,
                signer: s.signer,
                packages: s.index.packages.length,
                ...(opts.detail
                  ? {
                      packageNames: [...new Set(s.index.packages.map((p) => p.name))].sort(),
                      fetched: s.fetched,
                    }
                  : {}),
              }
            : {}),
        };
      });
    },
    // The firewall's allow-list follows the repositories (issue 19): built again after each change.
    add: async (name, url, opts = {}) => {
      const m = await fenced(ctx);
      const before = (await m.repos.list()).find((r) => r.name === name);
      const added = await m.repos.add(name, url, opts);
      if (before && sameRepoConfig(before, added)) return { ...added, status: 'unchanged' };
      await rebuildEgressOf(ctx.root);
      return before ? { ...added, status: 'changed', previous: before } : { ...added, status: 'added' };
    },
    setKeys: async (name, fps) => (await fenced(ctx)).repos.setKeys(name, fps),
    remove: async (name) => {
      const removed = await (await fenced(ctx)).repos.remove(name);
      await rebuildEgressOf(ctx.root);
      return removed;
    },
  };
  return ops;
}
