import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { specHash } from '../../src/core/services/policy.js';

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// The spec label decides whether `service start` reuses a container. In the executable it is hashed
// by Node's crypto binding (crypto-lite.ts, held to node:crypto by test/pkg/crypto-lite.test.ts);
// the label must stay the first 16 hex digits of the spec JSON's SHA-256, or every container made
// before would be made again.
describe('specHash', () => {
  it("is the first 16 hex digits of the spec JSON's SHA-256, as before", () => {
    const spec = { name: 'blueprint-hello', image: 'sha256:abc', labels: { a: 'b' }, mounts: [{ x: 1 }] };
    expect(specHash(spec)).toBe(reference(JSON.stringify(spec)).slice(0, 16));
    expect(specHash(spec)).toBe('f8fcba1e58db3875'); // the label containers already carry
  });

  it('hashes the UTF-8 bytes of multi-byte text in the spec', () => {
    const spec = { env: ['X=€uro 𝄞 и 漢字'], labels: { 'a.b': '\u0000\uffff' } };
    expect(specHash(spec)).toBe(reference(JSON.stringify(spec)).slice(0, 16));
  });
});
