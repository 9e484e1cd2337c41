import type { Hash } from 'node:crypto';
import { nodeBinding } from '../system/node-binding.js';

/**
 * The SHA-2 hashes, timingSafeEqual and the Ed25519 check of the quick `bpkg search` and `bpkg
 * update` (the executable's start part) taken from Node's own crypto binding, the one node:crypto
 * is written over, without loading node:crypto: its load runs 38 modules (streams, ciphers, keys,
 * WebCrypto's tables) and took 7-11 ms of CPU a command here, the largest part of each quick
 * command after Node's start (issue 20). The same OpenSSL calls do the work, with the same
 * arguments node:crypto passes them (createHash, Hash#copy, timingSafeEqual, verify of a JWK).
 *
 * The binding is reached only where the executable's Node runs with `--expose-internals` (its
 * execArgv, scripts/build.mjs) and has the shape this module was written against (Node 24.21's:
 * test/pkg/crypto-lite.test.ts holds every function to node:crypto's answer, in a child run as the
 * executable runs); anywhere else (vitest, plain node, another Node) node:crypto answers, as before.
 */

interface HashHandle {
  update(data: string | Uint8Array, encoding?: BufferEncoding): boolean;
  digest(encoding?: BufferEncoding): Buffer | string;
}
interface CryptoBinding {
  Hash: new (
    algorithm: string | HashHandle,
    xofLen: undefined,
    algorithmId: number,
    cache: object,
  ) => HashHandle;
  SignJob: new (...args: unknown[]) => { run(): [unknown, boolean] };
  RandomBytesJob: new (
    mode: number,
    buffer: ArrayBuffer,
    offset: number,
    size: number,
  ) => { run(): [unknown] };
  timingSafeEqual(a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean;
  kCryptoJobSync: number;
  kSignJobModeVerify: number;
  kKeyFormatJWK: number;
  kSigEncDER: number;
}

let binding: CryptoBinding | null | undefined;
/** node:crypto's hash cache is per realm; this one serves the hashes made here (algorithm → EVP_MD). */
const cache = {};

function cryptoBinding(): CryptoBinding | null {
  if (binding === undefined) {
    const b = nodeBinding<CryptoBinding>('crypto');
    binding =
      b &&
      typeof b.Hash === 'function' &&
      typeof b.SignJob === 'function' &&
      typeof b.RandomBytesJob === 'function' &&
      b.kKeyFormatJWK === 2
        ? b
        : null;
  }
  return binding;
}

/** What Hash's callers here use of node:crypto's Hash: update, copy and digest. */
function liteHash(b: CryptoBinding, handle: HashHandle): Hash {
  const h = {
    update(data: string | Uint8Array, encoding?: BufferEncoding) {
      if (!handle.update(data, encoding)) throw new Error('hash update failed');
      return h;
    },
    copy: () => liteHash(b, new b.Hash(handle, undefined, -1, cache)),
    digest: (encoding?: BufferEncoding) => handle.digest(encoding),
  };
  return h as unknown as Hash;
}

/**
 * node:crypto's randomBytes(size) without a callback: a new buffer of `size` bytes filled by the
 * job node:crypto's randomFillSync runs (OpenSSL's CSPRNG), with its arguments (the buffer's own
 * ArrayBuffer, offset, size). A box's first `bpkg update` makes its sealing key with it.
 */
function liteRandomBytes(b: CryptoBinding, size: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`randomBytes: bad size ${size}`);
  const buf = Buffer.alloc(size);
  if (size === 0) return buf;
  const [err] = new b.RandomBytesJob(b.kCryptoJobSync, buf.buffer as ArrayBuffer, buf.byteOffset, size).run();
  if (err) throw err;
  return buf;
}

/** node:crypto's createHash, timingSafeEqual and randomBytes (no callback), from the binding when it is there. */
export function liteCrypto(): {
  createHash: typeof import('node:crypto').createHash;
  timingSafeEqual: typeof import('node:crypto').timingSafeEqual;
  randomBytes: (size: number) => Buffer;
} {
  const b = cryptoBinding();
  if (!b) return process.getBuiltinModule('node:crypto');
  return {
    createHash: ((algorithm: string) =>
      liteHash(b, new b.Hash(algorithm, undefined, -1, cache))) as typeof import('node:crypto').createHash,
    timingSafeEqual: b.timingSafeEqual,
    randomBytes: (size: number) => liteRandomBytes(b, size),
  };
}

/**
 * `verify(null, data, { key: jwk, format: 'jwk' }, signature)` of node:crypto for an Ed25519 JWK:
 * node:crypto's verifyOneShot makes this very job from those arguments (no padding, salt length or
 * context for Ed25519; DER the default signature encoding) and throws its error the same way.
 */
export function verifyEd25519Jwk(
  jwk: import('node:crypto').JsonWebKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const b = cryptoBinding();
  if (!b)
    return process.getBuiltinModule('node:crypto').verify(null, data, { key: jwk, format: 'jwk' }, signature);
  const u = undefined;
  const [err, ok] = new b.SignJob(
    b.kCryptoJobSync,
    b.kSignJobModeVerify,
    jwk,
    2,
    u,
    u,
    u,
    data,
    null,
    u,
    u,
    b.kSigEncDER,
    u,
    signature,
  ).run();
  if (err) throw err;
  return ok;
}
