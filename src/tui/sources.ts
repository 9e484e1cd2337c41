import { access } from 'node:fs/promises';
import type { ModuleOps } from '../core/setup/ops.js';
import { moduleOpsFor } from '../core/setup/wire.js';
import { type ExposureAudit, exposureAudit } from '../core/system/exposure.js';
import { type HostFacts, hostFacts } from '../core/system/host.js';
import { layout } from '../core/system/paths.js';

/** What a screen gets: real data, or the reason there is none (never made-up rows). */
export type Maybe<T> = { available: true; value: T } | { available: false; reason: string };

export interface ServiceRow {
  name: string;
  state: string;
  sandboxed: boolean;
  detail: string;
}
export interface PackageRow {
  name: string;
  version: string;
  installed: boolean;
  summary: string;
}
export interface KeyRow {
  fingerprint: string;
  name: string;
}
export interface GpuRow {
  name: string;
  vendor: string;
  detail: string;
}

/** The core calls the TUI makes. Screens take this as a prop so tests can hand in their own. */
export interface Sources {
  root: string;
  host(): Promise<HostFacts>;
  exposure(): Promise<ExposureAudit>;
  gpus(): Promise<Maybe<GpuRow[]>>;
  services(): Promise<Maybe<ServiceRow[]>>;
  updates(): Promise<Maybe<number>>;
  packages(): Promise<Maybe<PackageRow[]>>;
  keys(): Promise<Maybe<KeyRow[]>>;
  setupDone(): Promise<boolean>;
  moduleOps(): Promise<ModuleOps | undefined>;
  /** Package actions; undefined while the package manager is not in this build. */
  packageAction?: (
    action: PackageAction,
    name: string,
    progress: (line: string) => void,
    signal: AbortSignal,
  ) => Promise<void>;
  /** Who signed what `install NAME` would install: shown before asking to confirm. */
  signerOf?: (name: string) => Promise<{ version: string; fingerprint: string; signer: string }>;
  serviceAction?: (action: 'start' | 'stop' | 'restart', name: string) => Promise<void>;
  /** Follows a service's log until the signal aborts. */
  followLogs?: (name: string, onLine: (line: string) => void, signal: AbortSignal) => Promise<void>;
  inspect?: (name: string) => Promise<string[]>;
}

export type PackageAction = 'install' | 'remove' | 'upgrade';

const notYet = (what: string) => async () =>
  ({ available: false, reason: `${what}: not available yet in this build` }) as const;

export function coreSources(root: string): Sources {
  return {
    root,
    host: () => hostFacts(root),
    exposure: () => exposureAudit(root),
    gpus: notYet('GPU detection'),
    services: notYet('Services'),
    updates: notYet('Update check'),
    packages: notYet('Package manager'),
    keys: notYet('Trusted keys'),
    setupDone: () =>
      access(layout(root).setupMarker).then(
        () => true,
        () => false,
      ),
    moduleOps: () => moduleOpsFor(root),
  };
}
