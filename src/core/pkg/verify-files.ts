import { readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import type { FileRecord } from './archive.js';
import type { Manifest } from './format.js';
import { sha256File } from './transport.js';

export interface VerifyProblem {
  path: string;
  problem: 'missing' | 'modified' | 'link-changed' | 'not-current';
}

export interface VerifyReport {
  name: string;
  version: string;
  ok: boolean;
  problems: VerifyProblem[];
}

/** One installed file, directory or link against its record from install time (like debsums). */
export async function checkFile(base: string, f: FileRecord): Promise<VerifyProblem[]> {
  const full = path.join(base, f.path);
  if (f.dir)
    return (await stat(full).then(
      (s) => s.isDirectory(),
      () => false,
    ))
      ? []
      : [{ path: f.path, problem: 'missing' }];
  if (f.link !== undefined) {
    const target = await readlink(full).catch(() => undefined);
    if (target === undefined) return [{ path: f.path, problem: 'missing' }];
    return target === f.link ? [] : [{ path: f.path, problem: 'link-changed' }];
  }
  const hash = await sha256File(full).catch(() => undefined);
  if (hash === undefined) return [{ path: f.path, problem: 'missing' }];
  return hash === f.sha256 ? [] : [{ path: f.path, problem: 'modified' }];
}

/** The manifest's `files` map (e.g. model weights) must match what was unpacked. */
export function checkDeclaredHashes(manifest: Manifest, files: FileRecord[]): void {
  for (const [rel, sha] of Object.entries(manifest.files ?? {})) {
    const f = files.find((x) => x.path === rel);
    if (!f || f.sha256 !== sha)
      throw new VerificationError(
        `${manifest.name}: payload file ${rel} ${f ? 'does not match its SHA-256 in the manifest' : 'is missing'} (files.${rel})`,
        'hash-mismatch',
        'The package is corrupt or was tampered with; nothing was installed.',
      );
  }
}
