import type { Layout } from '../system/paths.js';
import type { FetchContext } from './fetch.js';
import type { HookOptions, PackageHooks } from './hooks.js';
import type { Keyring } from './keyring.js';
import type { Repositories } from './repos.js';
import type { Transactions } from './transaction.js';

/** What a package operation reports as it goes, per package. */
export type ProgressEvent =
  | { phase: 'download'; name: string; bytes: number; total?: number }
  | { phase: 'verify' | 'unpack' | 'prepare' | 'switch' | 'remove'; name: string };

/**
 * The package manager's parts, as one `PackageManager` builds them for its root: what the
 * functions in install.ts and states.ts work with (the class keeps its public surface small).
 */
export interface ManagerParts {
  paths: Layout;
  keyring: Keyring;
  repos: Repositories;
  tx: Transactions;
  hooks: PackageHooks;
  hookOpts: HookOptions;
  fetchContext: FetchContext;
  now: () => Date;
  signal?: AbortSignal;
  progress(e: ProgressEvent): void;
}
