import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { makeKey } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `bpkg key add signing-key.asc` (the private key, where signing-key.pub.asc was meant) trusted its
 * public part without a word: the file that can sign packages for this box had been copied onto
 * it. The key is still trusted (its public part is the right one), with a warning saying so.
 */
/** `pkg key add` of one of a fresh key's two files, pinned to its fingerprint, on a new root. */
async function addKeyFile(which: 'privateFile' | 'publicFile') {
  const key = await makeKey(path.join(tempDir('bp-keypriv-'), 'key'));
  const root = tempDir('bp-keypriv-root-');
  const args = ['--root', root, '--yes', 'pkg', 'key', 'add', key[which], '--fingerprint', key.fingerprint];
  return { key, r: await runCliHere(args) };
}

describe('pkg key add given a private key', () => {
  it('trusts its public part and warns that a private key was copied here', async () => {
    const { key, r } = await addKeyFile('privateFile');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`trusted ${key.fingerprint.toUpperCase()}`);
    expect(r.err).toMatch(/warning: .*private key/);
    expect(r.err).toContain(key.privateFile);
  });

  it('a public key: no such warning', async () => {
    const { r } = await addKeyFile('publicFile');
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/private key/);
  });
});
