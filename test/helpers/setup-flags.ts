import { pathToFileURL } from 'node:url';
import type { TestKey } from './pkg.js';

/** An admin's SSH key line for `setup --key`. */
export const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';

/**
 * `setup` with flags, no file: host name box-01, SSH on with the admin's key (SSH off would need a
 * console password hash: 20d75b4a), repository main at `repo` (a folder, as a file: URL) trusted
 * with `key`, and `--module module`.
 */
export const setupWithModule = (key: TestKey, repo: string, module: string): string[] => [
  'setup',
  '--hostname',
  'box-01',
  '--key',
  SSH,
  '--ssh',
  '--repo-url',
  pathToFileURL(repo).href,
  '--repo-key',
  key.publicFile,
  '--repo-fingerprint',
  key.fingerprint,
  '--module',
  module,
];
