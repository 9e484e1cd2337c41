import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { specHash } from '../../src/core/services/policy.js';
import { sha256Hex } from '../../src/core/services/sha256.js';

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// The spec label (policy.ts specHash) decides whether `service start` reuses a container: its
// SHA-256 is computed without node:crypto (issue 20) and must be node:crypto's, byte for byte.
describe('sha256Hex', () => {
  it('gives the FIPS 180-4 examples', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto on every length from 0 to 300 bytes (each padding edge) and on long text', () => {
    for (let n = 0; n <= 300; n++) {
      const text = 'x'.repeat(n);
      expect(sha256Hex(text), `length ${n}`).toBe(reference(text));
    }
    const long = randomBytes(100_000).toString('base64');
    expect(sha256Hex(long)).toBe(reference(long));
  });

  it('hashes the UTF-8 bytes of any text (multi-byte characters, lone surrogates as node:crypto does)', () => {
    for (const text of [
      'é',
      '€uro',
      '𝄞 clef',
      'mixed ascii и кириллица 漢字',
      '\u0000\uffff',
      '\ud800 lone',
    ]) {
      expect(sha256Hex(text), text).toBe(reference(text));
    }
    for (let i = 0; i < 200; i++) {
      const text = Array.from(randomBytes(1 + (i % 97)), (b) => String.fromCodePoint(b * 37 + 1)).join('');
      expect(sha256Hex(text)).toBe(reference(text));
    }
  });

  it("keeps specHash the first 16 hex digits of the spec JSON's SHA-256, as before", () => {
    const spec = { name: 'blueprint-hello', image: 'sha256:abc', labels: { a: 'b' }, mounts: [{ x: 1 }] };
    expect(specHash(spec)).toBe(reference(JSON.stringify(spec)).slice(0, 16));
  });
});
