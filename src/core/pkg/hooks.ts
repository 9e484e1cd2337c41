import type { Manifest } from './format.js';

/** A package as it sits on disk once unpacked. */
export interface UnpackedPackage {
  name: string;
  version: string;
  manifest: Manifest;
  /** Absolute path of the version's prefix, e.g. ROOT/opt/blueprint/NAME/1.2.0. */
  prefix: string;
}

export interface HookOptions {
  /** The admin answered yes (or passed --yes) to what the hook may ask, e.g. outbound network. */
  yes: boolean;
  info(line: string): void;
  warn(line: string): void;
}

/**
 * How other core modules take part in package transactions without the package manager knowing
 * them: the services module validates the `service` section, loads images, removes containers.
 */
export interface PackageHooks {
  /** Check parts of the manifest the package manager does not own. Throw a VerificationError naming the field. */
  validateManifest?(manifest: Manifest): void;
  /** After the payload is unpacked and verified, before the transaction commits. Throwing aborts it. */
  prepare?(pkg: UnpackedPackage, opts: HookOptions): Promise<void>;
  /** After a version stopped being installed (removed, or replaced by an upgrade). Best effort. */
  afterRemove?(pkg: UnpackedPackage, opts: HookOptions): Promise<void>;
}

/** How `blueprint repo build` turns a package source folder into a package. */
export interface BuildHooks {
  /**
   * Called once per source folder before archiving: may add payload files (e.g. build a container
   * image and save it under payloadDir) and returns the manifest to sign (e.g. with the image digest).
   */
  prepareSource?(source: {
    dir: string;
    manifest: Manifest;
    payloadDir: string;
    info(line: string): void;
  }): Promise<Manifest>;
}
