import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Signer } from './build.js';

/** The key IDs (hex) that made the detached signature in `ascFile`; none when it cannot be read. */
export async function signatureKeyIds(ascFile: string): Promise<string[]> {
  try {
    const { readSignature } = await import('openpgp');
    const sig = await readSignature({ armoredSignature: await readFile(ascFile, 'utf8') });
    return sig.getSigningKeyIDs().map((id) => id.toHex());
  } catch {
    return [];
  }
}

/**
 * What `repo build` says of pool packages signed by another key than the one it signs with (the
 * signer of `signedNow`, a package it has just signed): after a key rotation, the packages built before it keep
 * the old key's signature, and a box that trusts only the new key refuses them. Undefined when
 * every package is signed by this build's key. Only the signature's key IDs are read, not the
 * packages.
 */
export async function otherSignersWarning(
  files: string[],
  signedNow: string,
  signer: Signer,
  repoDir: string,
): Promise<string | undefined> {
  const ids = signedNow ? await signatureKeyIds(`${signedNow}.asc`) : [];
  if (ids.length === 0) return undefined;
  const others: string[] = [];
  for (const f of files) {
    const by = await signatureKeyIds(`${f}.asc`);
    if (!by.some((id) => ids.includes(id))) others.push(f);
  }
  if (others.length === 0) return undefined;
  const how = 'keyFile' in signer ? `--key ${signer.keyFile}` : `--gpg-key ${signer.gpgKey}`;
  const n = others.length === 1 ? '1 package in the pool is' : `${others.length} packages in the pool are`;
  return `${n} signed by another key than this build (${others.map((f) => path.relative(repoDir, f)).join(', ')}): boxes that trust only this build's key refuse ${others.length === 1 ? 'it' : 'them'} (after a key rotation, the older packages keep the old key's signature). Re-sign with this key: blueprint repo sign ${how} ${others.join(' ')}`;
}
