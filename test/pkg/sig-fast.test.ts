/**
 * Signatures checked without OpenPGP.js (src/core/pkg/sig-fast.ts) by keys judged once and kept in
 * a sealed cache (src/core/pkg/keyring-cache.ts). The fast check may only accept what OpenPGP.js
 * accepts: here each case is put to both, and whatever the fast check does not accept is left to
 * OpenPGP.js (undefined), never refused on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { packetsOf, unarmor, verifyDetachedFast } from '../../src/core/pkg/sig-fast.js';
import { readPublicKeys, verifyDetached } from '../../src/core/pkg/signature.js';
import { applyRevocation, readPrivateKey, signDetached } from '../../src/core/pkg/signing.js';
import { exec, gpgKey, makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import { shortMpi } from './short-mpi.js';

let key: TestKey;
let other: TestKey;
const data = Buffer.from('{"format":1,"packages":[]}\n');
let sig: string;

beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  other = await makeKey(path.join(tempDir(), 'other'));
  sig = await signDetached(data, await readPrivateKey(key.privateKey));
});

async function boxTrusting(...keys: { publicKey: string; fingerprint: string }[]) {
  const root = tempDir('bp-root-');
  // The cache goes into the lists folder only once it exists (an update makes it).
  const lists = path.join(root, 'var/lib/blueprint/pkg/lists');
  mkdirSync(lists, { recursive: true });
  const pm = new PackageManager({ root });
  for (const k of keys) await pm.keyring.add(k.publicKey, k.fingerprint);
  return { root, pm, cache: path.join(lists, 'keyring.json') };
}

/** Both checks on the same input: the fast one's answer, and OpenPGP.js's (its signer, or its refusal). */
async function both(
  bytes: Uint8Array,
  signature: string | Uint8Array,
  fingerprints: string[],
  now = new Date(),
) {
  const { pm } = await boxTrusting(key, other);
  const fast = verifyDetachedFast(
    bytes,
    typeof signature === 'string' ? Buffer.from(signature) : signature,
    await pm.keyring.fastKeys(fingerprints),
    now,
  );
  const trusted = (await pm.keyring.keys()).filter((k) => fingerprints.includes(k.getFingerprint()));
  const slow = await verifyDetached(bytes, signature, trusted, 'test data', now).then(
    (r) => r.signer,
    (err: Error) => `refused: ${err.message}`,
  );
  return { fast: fast?.signer, slow };
}

describe('signatures checked without OpenPGP.js', () => {
  it('a good signature by a trusted key: the same signer and date as OpenPGP.js finds', async () => {
    const { pm } = await boxTrusting(key);
    const keys = await pm.keyring.fastKeys([key.fingerprint]);
    expect(keys.map((k) => k.fingerprint)).toEqual([key.fingerprint]);
    const fast = verifyDetachedFast(data, Buffer.from(sig), keys, new Date());
    const slow = await verifyDetached(data, sig, await pm.keyring.keys(), 'test data');
    expect(fast).toEqual(slow);
  });

  it('the same signature unarmored (binary .sig) is accepted too', async () => {
    const binary = execFileSync('gpg', ['--dearmor'], { input: sig });
    expect(await both(data, binary, [key.fingerprint])).toEqual({
      fast: key.fingerprint,
      slow: key.fingerprint,
    });
  });

  it('changed data, a changed signature or a broken armor checksum: left to OpenPGP.js, which refuses', async () => {
    const changed = Buffer.from(data);
    changed[3] = changed[3]! ^ 1;
    const r1 = await both(changed, sig, [key.fingerprint]);
    expect(r1.fast).toBeUndefined();
    expect(r1.slow).toMatch(/^refused/);
    // One base64 character of the signature body flipped (the line before the checksum).
    const lines = sig.trimEnd().split('\n');
    const at = lines.length - 3;
    lines[at] = lines[at]!.replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
    const r2 = await both(data, `${lines.join('\n')}\n`, [key.fingerprint]);
    expect(r2.fast).toBeUndefined();
    expect(r2.slow).toMatch(/^refused/);
  });

  it('a signature whose r or s is written short (leading zero bits): padded as OpenPGP.js pads it, the same signer', async () => {
    const privateKey = await readPrivateKey(key.privateKey);
    let found: { bytes: Buffer; sig: string } | undefined;
    for (let i = 0; i < 3000 && !found; i++) {
      const bytes = Buffer.from(`{"n":${i}}`);
      const s = await signDetached(bytes, privateKey);
      if (shortMpi(packetsOf(unarmor(s, 'SIGNATURE')!)![0]!.body)) found = { bytes, sig: s };
    }
    expect(found).toBeDefined();
    expect(await both(found!.bytes, found!.sig, [key.fingerprint])).toEqual({
      fast: key.fingerprint,
      slow: key.fingerprint,
    });
    // The same short signature over other bytes: neither accepts it.
    const other = Buffer.concat([found!.bytes, Buffer.from(' ')]);
    const r = await both(other, found!.sig, [key.fingerprint]);
    expect(r.fast).toBeUndefined();
    expect(r.slow).toMatch(/^refused/);
  });

  it('a key not allowed for this file (bound to another repository) is not used', async () => {
    expect((await both(data, sig, [other.fingerprint])).fast).toBeUndefined();
  });

  it('a signature dated after now, or a key expired now: left to OpenPGP.js, which refuses', async () => {
    const r1 = await both(data, sig, [key.fingerprint], new Date(Date.now() - 3600_000));
    expect(r1.fast).toBeUndefined();
    expect(r1.slow).toMatch(/^refused/);
    const short = await makeKey(path.join(tempDir(), 'short'), { expiresInSeconds: 3600 });
    const s = await signDetached(data, await readPrivateKey(short.privateKey));
    const { pm } = await boxTrusting(short);
    const fastKeys = await pm.keyring.fastKeys([short.fingerprint]);
    expect(fastKeys[0]?.validUntil).toBeGreaterThan(Date.now());
    expect(verifyDetachedFast(data, Buffer.from(s), fastKeys, new Date())?.signer).toBe(short.fingerprint);
    const later = new Date(Date.now() + 2 * 3600_000);
    expect(verifyDetachedFast(data, Buffer.from(s), fastKeys, later)).toBeUndefined();
    await expect(verifyDetached(data, s, await pm.keyring.keys(), 'test data', later)).rejects.toThrow(
      /expired/,
    );
  });

  it('a signature by a GnuPG-made Ed25519 key is checked the same way', async () => {
    const g = await gpgKey();
    const file = path.join(tempDir(), 'data');
    writeFileSync(file, data);
    await exec('gpg', ['--batch', '--armor', '--detach-sign', '--output', `${file}.asc`, file], {
      env: { ...process.env, GNUPGHOME: g.home },
    });
    const gsig = readFileSync(`${file}.asc`);
    const { pm } = await boxTrusting(g);
    const fast = verifyDetachedFast(data, gsig, await pm.keyring.fastKeys([g.fingerprint]), new Date());
    const slow = await verifyDetached(data, gsig, await pm.keyring.keys(), 'test data');
    expect(fast?.signer).toBe(g.fingerprint);
    expect(fast).toEqual(slow);
  });
});

describe('the judged keyring cache', () => {
  it('a revoked key is never a fast key', async () => {
    const k = await makeKey(path.join(tempDir(), 'rev'));
    const revoked = await applyRevocation(k.publicKey, k.revocationCertificate);
    const { pm } = await boxTrusting({ publicKey: revoked, fingerprint: k.fingerprint });
    expect(await pm.keyring.fastKeys([k.fingerprint])).toEqual([]);
    expect((await pm.keyring.list())[0]?.revoked).toBe(true);
  });

  it('a cache changed on disk is not used: the keys are judged again from their files', async () => {
    const { pm, cache, root } = await boxTrusting(key);
    const [otherKey] = await readPublicKeys(other.publicKey);
    const text = readFileSync(cache, 'utf8');
    const genuine = (await pm.keyring.fastKeys([key.fingerprint]))[0]!.publicKey;
    const forged = Buffer.from(
      (
        otherKey as unknown as { keyPacket: { publicParams: { Q: Uint8Array } } }
      ).keyPacket.publicParams.Q.subarray(1),
    ).toString('hex');
    writeFileSync(cache, text.replace(genuine, forged));
    const byOther = await signDetached(data, await readPrivateKey(other.privateKey));
    // Forged cache: the other key's signature would pass under the trusted key's ID if it were used.
    const fastKeys = await new PackageManager({ root }).keyring.fastKeys([key.fingerprint]);
    expect(fastKeys[0]?.publicKey).toBe(genuine);
    expect(verifyDetachedFast(data, Buffer.from(byOther), fastKeys, new Date())).toBeUndefined();
  });

  it('a key file replaced after the cache was made: judged again, the cache follows the file', async () => {
    const { pm, root } = await boxTrusting(key);
    expect((await pm.keyring.fastKeys([key.fingerprint])).length).toBe(1);
    // The file now holds the other key (under the old name): the cache no longer describes it.
    writeFileSync(path.join(root, 'etc/blueprint/keys', `${key.fingerprint}.asc`), other.publicKey);
    expect(await pm.keyring.fastKeys([key.fingerprint])).toEqual([]);
    expect((await pm.keyring.fastKeys([other.fingerprint]))[0]?.fingerprint).toBe(other.fingerprint);
  });

  it('key add on a new box makes no folder under var/ (the first update makes the lists folder and the cache)', async () => {
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    expect(existsSync(path.join(root, 'var'))).toBe(false);
    expect((await pm.keyring.fastKeys([key.fingerprint])).length).toBe(1);
    expect(existsSync(path.join(root, 'var'))).toBe(false);
  });
});
