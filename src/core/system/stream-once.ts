/**
 * Reading a stream of untrusted bytes once (issue 20): its first bytes looked at without a second
 * read, and the rest read through after a refusal, for the hashes that judge it.
 */
import type { Readable } from 'node:stream';

/**
 * The first bytes of a stream that has not flowed yet (at least `n`, unless it ends first), put
 * back with `unshift` so whoever reads it next sees them again: the compression is told from the
 * same read as everything else (a source that serves bytes once is not asked twice).
 */
export function peek(source: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let have = 0;
    const done = (ended: boolean) => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onError);
      const head = Buffer.concat(parts);
      if (!ended && head.length > 0) source.unshift(head);
      resolve(head);
    };
    const onReadable = () => {
      for (;;) {
        const c = source.read() as Buffer | null;
        if (c === null) break;
        parts.push(c);
        have += c.length;
      }
      if (have >= n) done(false);
    };
    const onEnd = () => done(true);
    const onError = (err: unknown) => {
      source.off('readable', onReadable);
      source.off('end', onEnd);
      reject(err);
    };
    source.on('readable', onReadable);
    source.once('end', onEnd);
    source.once('error', onError);
  });
}

/** Reads what is left of `source` through `onChunk` (which may refuse it: a size limit). */
export function drain(source: Readable, onChunk?: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    source.on('data', (c: Buffer) => {
      try {
        onChunk?.(c);
      } catch (err) {
        source.destroy();
        reject(err);
      }
    });
    source.once('end', resolve);
    source.once('error', reject);
    source.resume();
  });
}
