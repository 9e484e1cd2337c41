/**
 * ed25519Verify (src/core/pkg/sig-fast.ts), which every fast signature and key check ends in: the
 * raw 32-byte public key is handed to node:crypto as a JWK since issue 20 (the DER/SPKI way went
 * through OpenSSL's decoders, ~0.5 ms more of the first check in a cold process). It must take
 * exactly the signatures OpenSSL takes and refuse every other (a changed digest, signature or key,
 * a key or signature of another length), whether by false or by throwing as before: its callers
 * take either as "not accepted".
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519Verify } from '../../src/core/pkg/sig-fast.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
const digest = Buffer.alloc(32, 7);
const rs = sign(null, digest, privateKey);

/** true, false, or 'threw'. */
const judge = (key: Buffer, d: Buffer, s: Buffer): boolean | 'threw' => {
  try {
    return ed25519Verify(key, d, s);
  } catch {
    return 'threw';
  }
};

describe('ed25519Verify', () => {
  it('takes a good signature by the raw public key', () => {
    expect(raw).toHaveLength(32);
    expect(judge(raw, digest, rs)).toBe(true);
  });

  it('refuses any bit of the digest, the signature or the key changed', () => {
    for (let i = 0; i < 32 * 8; i += 5) {
      const d = Buffer.from(digest);
      d[i >> 3] = d[i >> 3]! ^ (1 << (i & 7));
      expect(judge(raw, d, rs), `digest bit ${i}`).not.toBe(true);
    }
    for (let i = 0; i < 64 * 8; i += 7) {
      const s = Buffer.from(rs);
      s[i >> 3] = s[i >> 3]! ^ (1 << (i & 7));
      expect(judge(raw, digest, s), `signature bit ${i}`).not.toBe(true);
    }
    for (let i = 0; i < 32 * 8; i += 3) {
      const k = Buffer.from(raw);
      k[i >> 3] = k[i >> 3]! ^ (1 << (i & 7));
      expect(judge(k, digest, rs), `key bit ${i}`).not.toBe(true);
    }
  });

  it('refuses keys and signatures of another length, and another key', () => {
    expect(judge(raw.subarray(0, 31), digest, rs)).not.toBe(true);
    expect(judge(Buffer.concat([raw, Buffer.alloc(1)]), digest, rs)).not.toBe(true);
    expect(judge(Buffer.concat([Buffer.alloc(1), raw]), digest, rs)).not.toBe(true);
    expect(judge(raw, digest, rs.subarray(0, 63))).not.toBe(true);
    expect(judge(raw, digest, Buffer.concat([rs, Buffer.alloc(1)]))).not.toBe(true);
    const other = generateKeyPairSync('ed25519')
      .publicKey.export({ format: 'der', type: 'spki' })
      .subarray(12);
    expect(judge(other, digest, rs)).toBe(false);
  });
});
