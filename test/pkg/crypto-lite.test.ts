/**
 * src/core/pkg/crypto-lite.ts: the quick pkg paths' hashes, timingSafeEqual and Ed25519 check from
 * Node's crypto binding, as the executable runs them (`--expose-internals`, scripts/build.mjs), must
 * give node:crypto's answers without loading node:crypto; without the flag node:crypto answers.
 * A child of this Node runs them on inputs made here; node:crypto here judges every answer.
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild, runNode } from '../helpers/node-child.js';

const CHILD = `
import { readFileSync } from 'node:fs';
import { liteCrypto, verifyEd25519Jwk } from './src/core/pkg/crypto-lite.ts';
import { hmacSha256 } from './src/core/pkg/sealed.ts';
import { ed25519Verify } from './src/core/pkg/sig-fast.ts';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const hex = (h) => Buffer.from(h, 'hex');
const c = liteCrypto();
const out = { hashes: [], copies: [], equal: [], hmac: [], verify: [], raw: [], errors: [] };
for (const { alg, parts } of cases.hashes) {
  const h = c.createHash(alg);
  for (const p of parts) h.update(typeof p === 'string' ? p : hex(p.hex));
  const early = h.copy();
  h.update('tail');
  out.copies.push(early.digest('hex'));
  out.hashes.push(h.digest().toString('hex'));
}
for (const [a, b] of cases.equal) out.equal.push(c.timingSafeEqual(hex(a), hex(b)));
try { c.timingSafeEqual(hex('00'), hex('0000')); out.errors.push('none'); } catch (e) { out.errors.push(e.code); }
for (const { key, payload } of cases.hmac) out.hmac.push(hmacSha256(hex(key)).update(hex(payload)).digest().toString('hex'));
for (const { x, data, sig } of cases.verify) {
  out.verify.push(ed25519Verify(Buffer.from(x, 'base64url'), hex(data), hex(sig)));
  try { out.raw.push(verifyEd25519Jwk({ kty: 'OKP', crv: 'Ed25519', x }, hex(data), hex(sig))); }
  catch (e) { out.raw.push(e.code ?? 'threw'); }
}
// randomBytes (a box's sealing key): the sizes asked, and bytes no two calls share.
const r = [0, 1, 32, 1000].map((n) => c.randomBytes(n));
out.random = r.map((b) => (Buffer.isBuffer(b) ? b.length : 'not a buffer'));
const keys = Array.from({ length: 64 }, () => c.randomBytes(32).toString('hex'));
out.randomDistinct = new Set(keys).size;
out.randomBits = [...Buffer.from(keys.join(''), 'hex')].reduce((n, b) => n + b.toString(2).replaceAll('0', '').length, 0);
out.loadedNodeCrypto = process.moduleLoadList.includes('NativeModule crypto');
process.stdout.write(JSON.stringify(out));
`;

let dir: string;
let child: string;
let casesFile: string;
const expected = {
  hashes: [] as string[],
  copies: [] as string[],
  equal: [] as boolean[],
  hmac: [] as string[],
  verify: [] as boolean[],
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'crypto-lite-'));
  child = path.join(dir, 'child.mjs');
  await bundleChild(CHILD, child);
  const hashes = [];
  for (const alg of ['sha1', 'sha256', 'sha384', 'sha512'])
    for (const n of [0, 1, 64, 1000, 300_000]) {
      const parts = [{ hex: randomBytes(n).toString('hex') }, 'blueprint-index\u0000ÿ名', { hex: '' }];
      hashes.push({ alg, parts });
      const h = createHash(alg);
      h.update(Buffer.from((parts[0] as { hex: string }).hex, 'hex')).update(parts[1] as string);
      expected.copies.push(h.copy().digest('hex'));
      expected.hashes.push(h.update('tail').digest('hex'));
    }
  const equal: [string, string][] = [];
  for (let i = 0; i < 6; i++) {
    const a = randomBytes(32);
    const b = i % 2 ? Buffer.from(a) : randomBytes(32);
    if (i === 4) b[31]! ^= 1;
    equal.push([a.toString('hex'), b.toString('hex')]);
    expected.equal.push(timingSafeEqual(a, b));
  }
  const hmac = [0, 32, 64, 65].map((n) => {
    const key = randomBytes(n);
    const payload = randomBytes(n * 1000 + 7);
    expected.hmac.push(createHmac('sha256', key).update(payload).digest('hex'));
    return { key: key.toString('hex'), payload: payload.toString('hex') };
  });
  const verify = [];
  for (let i = 0; i < 8; i++) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const data = randomBytes(32 + i);
    const sig = sign(null, data, privateKey);
    // Good, data changed, signature changed, another key, a signature of the wrong length.
    if (i === 1) data[0]! ^= 1;
    if (i === 2) sig[10]! ^= 4;
    const other = i === 3 ? generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x! : x;
    const s = i === 4 ? sig.subarray(0, 63) : sig;
    verify.push({ x: other, data: data.toString('hex'), sig: s.toString('hex') });
    expected.verify.push(i === 0 || i >= 5);
  }
  casesFile = path.join(dir, 'cases.json');
  writeFileSync(casesFile, JSON.stringify({ hashes, equal, hmac, verify }));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crypto-lite', () => {
  for (const internals of [true, false])
    it(`gives node:crypto's answers ${internals ? 'from the binding, without loading node:crypto' : 'through node:crypto without --expose-internals'}`, async () => {
      const args = internals ? ['--expose-internals', child, casesFile] : [child, casesFile];
      const out = JSON.parse(await runNode(args));
      expect(out.loadedNodeCrypto).toBe(!internals);
      expect(out.hashes).toEqual(expected.hashes);
      expect(out.copies).toEqual(expected.copies);
      expect(out.equal).toEqual(expected.equal);
      expect(out.errors).toEqual(['ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH']);
      expect(out.hmac).toEqual(expected.hmac);
      expect(out.verify).toEqual(expected.verify);
      expect(out.raw).toEqual(expected.verify);
      expect(out.random).toEqual([0, 1, 32, 1000]);
      expect(out.randomDistinct).toBe(64);
      // 16,384 random bits: about half set (8,192 ± 64 standard deviations' worth of slack is 512).
      expect(Math.abs(out.randomBits - 8192)).toBeLessThan(512);
    }, 60_000);
});
