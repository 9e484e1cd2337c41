/**
 * Ctrl-C while `bpkg install ./big.bpkg` copies the file into the cache (fetch.ts `copyOnce`, the
 * one read of an untrusted file): the copy stops at the next chunk, the partial copy is removed,
 * and the interruption is what the command answers, not an error from later steps.
 */
import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../helpers/pkg.js';

/** 2 GiB that take no disk (sparse): the copy writes real bytes until it is stopped. */
const SIZE = 2 * 1024 ** 3;

describe('a local package copy and Ctrl-C', () => {
  it('stops copying on abort and leaves nothing in the cache folder', async () => {
    const root = tempDir('bp-root-');
    const dir = tempDir();
    const file = path.join(dir, 'big_1.0.0_all.bpkg');
    writeFileSync(file, '');
    truncateSync(file, SIZE);
    writeFileSync(`${file}.asc`, '-----BEGIN PGP SIGNATURE-----\n');
    const cache = layout(root).pkgCache;
    const abort = new AbortController();
    const reason = new InterruptedError('Interrupted by SIGINT');
    let largest = 0;
    // Ctrl-C once the copy has written something: polled, as a person's key press comes at any time.
    const poll = setInterval(() => {
      let names: string[] = [];
      try {
        names = readdirSync(cache).filter((n) => n.startsWith('.local-'));
      } catch {}
      for (const n of names) {
        try {
          largest = Math.max(largest, statSync(path.join(cache, n)).size);
        } catch {}
      }
      if (largest > 0 && !abort.signal.aborted) abort.abort(reason);
    }, 1);
    try {
      const pm = new PackageManager({ root, signal: abort.signal });
      await expect(pm.install([file])).rejects.toBe(reason);
    } finally {
      clearInterval(poll);
    }
    expect(abort.signal.aborted).toBe(true);
    // Stopped at the next chunk, far short of the whole file, and the partial copy is gone.
    expect(largest).toBeLessThan(SIZE / 4);
    expect(readdirSync(cache)).toEqual([]);
  });
});
