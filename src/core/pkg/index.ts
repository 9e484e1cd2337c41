export type { FileRecord } from './archive.js';
export {
  announceKeyRotation,
  buildPackage,
  buildRepository,
  type RepoBuildOptions,
  type Signer,
  signFile,
} from './build.js';
export type { HeldUpgrade, Upgradable } from './constraints.js';
export type { InstalledPackage } from './db.js';
export { type IndexEntry, type Manifest, manifestSchema, parseManifest, type RepoIndex } from './format.js';
export type { BuildHooks, HookOptions, PackageHooks, UnpackedPackage } from './hooks.js';
export type { KeyChanges } from './key-update.js';
export type { TrustedKey } from './keyring.js';
export {
  hostArch,
  type ManagerOptions,
  PackageManager,
  type PlannedChange,
  type ProgressEvent,
  type SearchHit,
  type WrittenEvent,
} from './manager.js';
export type { RepoConfig, UpdateOutcome } from './repos.js';
export { applyRevocation, generateSigningKey } from './signing.js';
export { currentLink, versionDir } from './transaction.js';
export type { VerifyReport } from './verify-files.js';
