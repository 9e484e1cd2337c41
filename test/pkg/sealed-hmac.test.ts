/**
 * The seals' HMAC-SHA-256 (src/core/pkg/sealed.ts hmacSha256), made of two SHA-256 hashes: the
 * same bytes as node:crypto's createHmac for every key length around the block (64 bytes) and
 * payloads fed whole or in parts, so a seal written before it holds after it, and the reverse.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from '../../src/core/pkg/sealed.js';

describe('hmacSha256', () => {
  it('matches createHmac for keys of 0 to 130 bytes and payloads in parts', () => {
    for (const n of [0, 1, 31, 32, 33, 63, 64, 65, 100, 128, 130]) {
      const key = randomBytes(n);
      const parts = [
        Buffer.from('blueprint-index-head\0'),
        randomBytes(n * 7 + 1),
        Buffer.alloc(0),
        randomBytes(300),
      ];
      const mac = hmacSha256(key);
      const ref = createHmac('sha256', key);
      for (const p of parts) {
        mac.update(p);
        ref.update(p);
      }
      expect(mac.digest().toString('hex'), `key of ${n} bytes`).toBe(ref.digest().toString('hex'));
    }
  });

  it('takes text as UTF-8, as createHmac does', () => {
    const key = randomBytes(32);
    const text = 'blueprint-search-table\u00001\u0000ÿ名\u0000main\u0000';
    expect(hmacSha256(key).update(text).digest()).toEqual(createHmac('sha256', key).update(text).digest());
  });

  it('matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(Buffer.from('Jefe')).update('what do ya want for nothing?').digest();
    expect(mac.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});
