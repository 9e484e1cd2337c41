/**
 * A package file planned without a copy (`bpkg install --dry-run ./x.bpkg`): a plan unpacks
 * nothing, so the file is not copied into the package cache as the install copies it
 * (local-package.ts); the dry run changes nothing on disk and needs no cache it can write. It is
 * still read exactly once: each chunk, as it is read, is hashed for the plan (SHA-256), hashed for
 * its own detached signature, and given to the tar parser that finds manifest.json, so what is
 * verified, hashed and inspected are the same bytes, whatever the source serves on another read.
 * Refused as the install refuses (the same checks, in the same order: size, signature, manifest).
 */
import { createHash, type Hash } from 'node:crypto';
import path from 'node:path';
import { storageErrorFrom, VerificationError } from '../errors.js';
import type { FetchContext } from './fetch.js';
import { localCandidate, localKeys, localSignature, openFitting, READ_AGAIN } from './local-package.js';
import { manifestSink } from './manifest-read.js';
import type { Candidate } from './resolve.js';
import { type SignatureCheck, verifyDetached } from './signature.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

export async function inspectLocalPackage(
  ctx: FetchContext,
  file: string,
): Promise<Candidate & { signer: string }> {
  const { abs, sig } = await localSignature(ctx, file);
  const { input, size: declared } = await openFitting(abs, ctx.cacheDir, ctx.signal);
  let done!: (whole: boolean) => void;
  const complete = new Promise<boolean>((resolve) => (done = resolve));
  try {
    const keys = await localKeys(ctx);
    const what = path.basename(file);
    const sha256 = createHash('sha256');
    // The hashes the signature names (asked for before a byte is read), fed the same chunks.
    const hashes = new Map<string, Hash>();
    let asked!: () => void;
    const named = new Promise<void>((resolve) => (asked = resolve));
    const digest = async (hash: string, suffix: Uint8Array) => {
      if (!hashes.has(hash)) hashes.set(hash, createHash(hash));
      asked();
      if (!(await complete)) throw new VerificationError(`${what} was not read to its end`, 'bad-signature');
      return hashes.get(hash)!.copy().update(suffix).digest();
    };
    const verdict = verifyDetached({ digest }, sig, keys.all, what, ctx.now());
    verdict.catch(() => {}); // awaited below
    // No trusted key (or no signature in the file) is refused before reading. A signature of a
    // shape that needs the data itself (not v4 over SHA-2) is checked over the bytes kept instead.
    let kept: Buffer[] | undefined;
    await Promise.race([named, verdict]).catch((err) => {
      if (!(err instanceof VerificationError) || err.code !== 'signature-unsupported') throw err;
      kept = [];
    });
    const manifest = await manifestSink(what);
    let size = 0;
    try {
      for (;;) {
        ctx.signal?.throwIfAborted();
        // A buffer of its own for each chunk: the tar parser may keep a view of it.
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        const n = (await input.read(buf, 0, CHUNK_BYTES, null)).bytesRead;
        if (n === 0) break;
        size += n;
        // A file that grows while read (or a server that never stops) is not what was handed over.
        if (size > declared)
          throw new VerificationError(
            `${abs} changed while it was read`,
            'changed-while-reading',
            READ_AGAIN,
          );
        const chunk = buf.subarray(0, n);
        sha256.update(chunk);
        for (const h of hashes.values()) h.update(chunk);
        kept?.push(chunk);
        manifest.write(chunk);
      }
    } catch (err) {
      throw ctx.signal?.aborted ? (ctx.signal.reason ?? err) : storageErrorFrom(err, `reading ${abs}`);
    }
    done(true);
    const check: SignatureCheck = kept
      ? await verifyDetached(Buffer.concat(kept), sig, keys.all, what, ctx.now())
      : await verdict;
    return localCandidate(abs, await manifest.end(), size, sha256.digest('hex'), keys, check.signer);
  } finally {
    done(false);
    await input.close();
  }
}
