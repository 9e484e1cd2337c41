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
 * The bytes a step has written to the disk so far, as they land (not for the front ends' lines):
 * a local package file's private copy in the cache (`file`: its absolute path, before its name is
 * read) and a package's unpacked files. A model import lowers its promise of room with them
 * (models/import-room.ts), so a copy is not counted on disk and promised at once until its end.
 */
export type WrittenEvent =
  | { step: 'copy'; file: string; bytes: number }
  | { step: 'unpack'; name: string; bytes: number };

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
  written?(e: WrittenEvent): void;
}
