import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSigningKey } from '../../src/app/publish.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint repo keygen --out DIR` writes a repository's private signing key and its revocation
 * certificate. It wrote them with writeFile, which follows a link at the name and keeps the mode
 * and owner of a file already there: in a folder another local user can write (a shared /tmp
 * folder they made first), that user planted `signing-key.asc` as their own world-readable file
 * (or a link to one) and read the private key after; and a second keygen into the folder of a
 * repository's key silently replaced that key and its revocation certificate for good. The key
 * files are now made new (O_CREAT|O_EXCL|O_NOFOLLOW) in a folder that only their writer may write.
 */

const NOBODY = 65534;
const SECRET = /BEGIN PGP PRIVATE KEY BLOCK/;
const root = process.getuid?.() === 0;

const refusal = (out: string) =>
  writeSigningKey(out, 'Test', 'test@example.invalid').then(
    () => 'written',
    (err: { code?: string; hint?: string }) => err,
  );

describe('repo keygen writes the secret key only where no one else can put or read it', () => {
  it.skipIf(!root)('a folder another user owns (they made it first in /tmp) is refused', async () => {
    const out = path.join(tempDir(), 'keys');
    mkdirSync(out, { mode: 0o755 });
    chownSync(out, NOBODY, NOBODY);
    // What the other user leaves there: their own file, readable by all, at the key's name.
    writeFileSync(path.join(out, 'signing-key.asc'), '');
    chownSync(path.join(out, 'signing-key.asc'), NOBODY, NOBODY);
    chmodSync(path.join(out, 'signing-key.asc'), 0o666);
    const r = await refusal(out);
    expect(r).toMatchObject({ code: 'unsafe-key-folder', hint: expect.stringMatching(/\S/) });
    expect(readFileSync(path.join(out, 'signing-key.asc'), 'utf8')).not.toMatch(SECRET);
  });

  it('a folder others may write is refused, nothing written in it', async () => {
    const out = path.join(tempDir(), 'keys');
    mkdirSync(out);
    chmodSync(out, 0o777);
    expect(await refusal(out)).toMatchObject({ code: 'unsafe-key-folder' });
    expect(existsSync(path.join(out, 'signing-key.asc'))).toBe(false);
  });

  it('a link at the key’s name is not followed: the file it points to keeps its bytes', async () => {
    const base = tempDir();
    const out = path.join(base, 'keys');
    mkdirSync(out, { mode: 0o700 });
    const bait = path.join(base, 'readable-by-all');
    writeFileSync(bait, 'before', { mode: 0o644 });
    symlinkSync(bait, path.join(out, 'signing-key.asc'));
    expect(await refusal(out)).toMatchObject({ code: 'key-exists', hint: expect.stringMatching(/\S/) });
    expect(readFileSync(bait, 'utf8')).toBe('before');
    expect(lstatSync(path.join(out, 'signing-key.asc')).isSymbolicLink()).toBe(true);
  });

  it('an existing key is never replaced: a second keygen into its folder is refused', async () => {
    const out = path.join(tempDir(), 'keys');
    const first = await writeSigningKey(out, 'Test', 'test@example.invalid');
    const before = ['signing-key.asc', 'signing-key.pub.asc', 'revocation.asc'].map((f) =>
      readFileSync(path.join(out, f), 'utf8'),
    );
    expect(await refusal(out)).toMatchObject({ code: 'key-exists' });
    const after = ['signing-key.asc', 'signing-key.pub.asc', 'revocation.asc'].map((f) =>
      readFileSync(path.join(out, f), 'utf8'),
    );
    expect(after).toEqual(before);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{40}$/i);
  });

  it('a fresh folder gets the three files: the secret ones 0600, the folder 0700', async () => {
    const out = path.join(tempDir(), 'new', 'keys');
    await writeSigningKey(out, 'Test', 'test@example.invalid');
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(out, 'signing-key.asc')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(out, 'revocation.asc')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(out, 'signing-key.asc'), 'utf8')).toMatch(SECRET);
    expect(readFileSync(path.join(out, 'signing-key.pub.asc'), 'utf8')).toMatch(/PUBLIC KEY/);
  });
});
