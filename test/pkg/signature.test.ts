// Detached signatures over files: the file's digest is computed on a worker thread for v4 binary
// signatures (file-digest.ts) and streamed through OpenPGP.js otherwise. Both paths must accept
// exactly the good signatures.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../../src/core/pkg/file-digest.js';
import { readPublicKeys, verifyDetached } from '../../src/core/pkg/signature.js';
import { generateSigningKey, readPrivateKey, signDetached } from '../../src/core/pkg/signing.js';
import { exec, gpgKey, tempDir } from '../helpers/pkg.js';

const dir = tempDir('bp-sig-');
const file = path.join(dir, 'payload.bin');

/** A key made by gpg of the given algorithm, and detached signatures by gpg over `file`. */
async function gpgSigner(algo: string) {
  const { home, publicKey } = await gpgKey(algo, `Signer ${algo} <s@blueprintos.invalid>`);
  return {
    keys: await readPublicKeys(publicKey),
    sign: async (extra: string[], what = file) => {
      const out = path.join(dir, `${algo}-${extra.join('')}.asc`);
      const args = ['--batch', '--yes', '--armor', '--detach-sign', ...extra, '--output', out, what];
      await exec('gpg', args, { env: { ...process.env, GNUPGHOME: home } });
      return readFileSync(out, 'utf8');
    },
  };
}

describe('verifyDetached over a file', () => {
  beforeAll(() => {
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
  });

  it('hashes a file and a suffix on a worker thread exactly as in-process hashing does', async () => {
    const suffix = Buffer.from([4, 0xff, 0, 0, 0, 9]);
    for (const algo of ['sha256', 'sha512']) {
      const want = createHash(algo).update(readFileSync(file)).update(suffix).digest();
      expect(Buffer.from(await digestFile(file, algo, suffix))).toEqual(want);
    }
    await expect(digestFile(path.join(dir, 'missing'), 'sha256', suffix)).rejects.toThrow(/ENOENT/);
  });

  it('accepts our own signature and names the signer; one changed byte is refused', async () => {
    const key = await generateSigningKey('Repo', 'repo@blueprintos.invalid');
    const sig = await signDetached({ file }, await readPrivateKey(key.privateKey));
    const trusted = await readPublicKeys(key.publicKey);
    expect((await verifyDetached({ file }, sig, trusted, 'payload')).signer).toBe(key.fingerprint);

    const tampered = path.join(dir, 'tampered.bin');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(tampered, bytes);
    await expect(verifyDetached({ file: tampered }, sig, trusted, 'payload')).rejects.toMatchObject({
      code: 'bad-signature',
    });
  });

  it('accepts GnuPG RSA signatures with SHA-256 and SHA-512, and refuses them for another file', async () => {
    const rsa = await gpgSigner('rsa3072');
    for (const digest of ['SHA256', 'SHA512']) {
      const sig = await rsa.sign(['--digest-algo', digest]);
      await expect(verifyDetached({ file }, sig, rsa.keys, digest)).resolves.toMatchObject({
        signer: rsa.keys[0]!.getFingerprint(),
      });
      const other = path.join(dir, 'other.bin');
      writeFileSync(other, randomBytes(1024));
      await expect(verifyDetached({ file: other }, sig, rsa.keys, digest)).rejects.toMatchObject({
        code: 'bad-signature',
      });
    }
  });

  it('takes the streamed path for a text-mode signature and still checks it', async () => {
    const ed = await gpgSigner('ed25519');
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'line one\nline two\n');
    const sig = await ed.sign(['--textmode'], text);
    await expect(verifyDetached({ file: text }, sig, ed.keys, 'text')).resolves.toMatchObject({
      signer: ed.keys[0]!.getFingerprint(),
    });
    writeFileSync(text, 'line one\nline 2\n');
    await expect(verifyDetached({ file: text }, sig, ed.keys, 'text')).rejects.toMatchObject({
      code: 'bad-signature',
    });
  });
});
