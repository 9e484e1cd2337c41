import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, VerificationError } from '../errors.js';
import type { RepositorySpec } from './schema.js';

export interface KeyInfo {
  fingerprint: string;
  userIds: string[];
  armored: string;
}

/** Reads an OpenPGP public key (armored) and returns what a person checks before trusting it. */
export async function describeKey(armored: string, field = 'key'): Promise<KeyInfo> {
  const openpgp = await import('openpgp');
  let key: Awaited<ReturnType<typeof openpgp.readKey>>;
  try {
    key = await openpgp.readKey({ armoredKey: armored });
  } catch (err) {
    throw new VerificationError(
      `${field}: not an OpenPGP public key (${(err as Error).message})`,
      'bad-key',
      'Export it with `gpg --armor --export FINGERPRINT` or `blueprint repo` and try again.',
    );
  }
  if (key.isPrivate())
    throw new VerificationError(
      `${field}: this is a PRIVATE key; only the public key may be given`,
      'private-key',
      'Export the public part with `gpg --armor --export FINGERPRINT`.',
    );
  return { fingerprint: key.getFingerprint().toUpperCase(), userIds: key.getUserIDs(), armored };
}

/** The key text of a repository entry: inline armored text, or a file relative to `baseDir`. */
export async function loadKeyText(key: string, baseDir: string, field: string): Promise<string> {
  if (key.includes('-----BEGIN PGP')) return key;
  const file = path.resolve(baseDir, key);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${field}: cannot read key file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      'Give the path of the armored public key, relative to the answers file, or paste it inline.',
    );
  }
}

export interface ResolvedRepository {
  name: string;
  url: string;
  key: KeyInfo;
}

/**
 * Loads each repository's key and checks it against the pinned fingerprint. In scripted mode the
 * pin is required: a key is never trusted on first use without a person having compared it.
 */
export async function resolveRepositories(
  repos: RepositorySpec[],
  baseDir: string,
  field: (i: number) => string,
): Promise<ResolvedRepository[]> {
  const out: ResolvedRepository[] = [];
  for (const [i, r] of repos.entries()) {
    const key = await describeKey(await loadKeyText(r.key, baseDir, `${field(i)}.key`), `${field(i)}.key`);
    if (!r.fingerprint)
      throw new UsageError(
        `${field(i)}.fingerprint: required; this key's fingerprint is ${key.fingerprint}`,
        'Compare it with the one the repository publisher gave you, then add it to the file.',
      );
    if (r.fingerprint !== key.fingerprint)
      throw new VerificationError(
        `${field(i)}.fingerprint: the key's fingerprint is ${key.fingerprint}, not ${r.fingerprint}`,
        'fingerprint-mismatch',
        'Get the right key from the repository publisher; do not change the pin to match.',
      );
    out.push({ name: r.name, url: r.url, key });
  }
  return out;
}
