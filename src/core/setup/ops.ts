import type { SystemStatus } from '../update/index.js';

/**
 * What setup needs from the package manager and the services module. Kept this small so apply
 * can be tested with a recording implementation and wired to src/core/pkg and src/core/services
 * without setup knowing their internals.
 */
export interface ModuleOps {
  /** The trusted keys; `revoked`: the box was told so (a revocation certificate), it signs nothing. */
  trustedKeys(): Promise<{ fingerprint: string; revoked?: boolean }[]>;
  /** Trusts an armored public key; returns its fingerprint. */
  trustKey(armored: string): Promise<string>;
  /** `signer`: the key (lower case) that signed the index the box accepted last, when it has one. */
  repositories(): Promise<
    { name: string; url: string; mirrors?: string[]; keys?: string[]; signer?: string }[]
  >;
  /** Stops trusting a key (`bpkg key remove`): apply's retiring of a repository's old key. */
  untrustKey?(fingerprint: string): Promise<void>;
  /**
   * `keys`: fingerprints of the trusted keys that sign it (the repository is bound to them);
   * `mirrors`: the whole list of its other URLs (none given: it has none).
   */
  addRepository(name: string, url: string, keys?: string[], mirrors?: string[]): Promise<void>;
  /** Takes a repository off the box (`bpkg repo remove`): what was installed from it stays. */
  removeRepository(name: string): Promise<void>;
  installed(): Promise<string[]>;
  /** The installed packages that came from repository `repo`. */
  installedFrom?(repo: string): Promise<string[]>;
  /** Names the configured repositories' verified indexes offer (to refuse an unknown module early). */
  offered?(): Promise<string[]>;
  /**
   * Names offered by repositories the box does not have yet, their indexes fetched and verified
   * against the given keys in a scratch box (nothing is written under the root); `failed` are
   * those whose index could not be had, with the update's error; undefined when it cannot look
   * (no temporary folder): then the names are not judged.
   */
  offeredBy?(
    repos: { name: string; url: string; mirrors?: string[]; armored: string; fingerprint: string }[],
  ): Promise<
    | {
        offered: string[];
        failed: { repo: string; code: string; message: string; hint?: string }[];
      }
    | undefined
  >;
  /** `rotated`: keys the box came to trust by a repository's rotation notice in the update before it. */
  install(names: string[]): Promise<void | { rotated: { repo: string; key: string }[] }>;
  remove(names: string[]): Promise<void>;
  /** Installed modules that are services (have a `service` section); no engine needed. */
  registered(): Promise<string[]>;
  /** The services that run now; one whose registration is damaged is not among them (see damaged). */
  running(): Promise<string[]>;
  /**
   * Installed modules whose service registration cannot be read (`registration-damaged`): what is
   * wrong and the fix. The others are planned; one the spec names blocks the plan with the fix.
   */
  damaged?(): Promise<{ name: string; message: string; hint?: string }[]>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  /** Both A/B system slots (`apply`'s `system:`, issue 21); throws on a box without them. */
  systemStatus?(): Promise<SystemStatus>;
  /**
   * Installs `version` of repository `repo`'s system-bundle into the other slot (after `bpkg update`).
   * `rotated`: as install's, the keys that update came to trust by a rotation notice.
   */
  systemUpdate?(
    repo: string,
    version: string,
    force: boolean,
  ): Promise<void | { rotated: { repo: string; key: string }[] }>;
}

/** Commands that change a running system (systemctl, nft). Only used when the root is `/`. */
export interface Runner {
  run(argv: string[]): Promise<void>;
}
