import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractPackage } from '../../src/core/pkg/archive.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * An unpack that fails inside a file (a truncated download, a tampered archive) closes the file it
 * was writing: the web dashboard runs installs in one long-lived process, where each failed one
 * kept a descriptor open before.
 */
const openFds = () => readdirSync('/proc/self/fd').length;
/** The count once the package file's own stream has closed (its close is asynchronous). */
async function settledFds(want: number): Promise<number> {
  for (let i = 0; i < 50 && openFds() > want; i++) await new Promise((r) => setTimeout(r, 20));
  return openFds();
}

/** A package's source folder: its manifest and one file of `bytes` random bytes, payload/big.bin. */
function sourceWithBigFile(name: string, bytes: number): string {
  const src = tempDir();
  mkdirSync(path.join(src, 'payload'));
  writeFileSync(path.join(src, 'manifest.json'), JSON.stringify({ name, version: '1.0.0', arch: 'all' }));
  writeFileSync(path.join(src, 'payload/big.bin'), randomBytes(bytes));
  return src;
}

describe('a failed unpack', () => {
  it('leaves no descriptor open when the archive ends inside a file', async () => {
    const src = sourceWithBigFile('cut', 2 * 1024 * 1024);
    const tar = path.join(tempDir(), 'cut.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, 'manifest.json', 'payload']);
    // Cut in the middle of big.bin's data, then gzipped whole: gunzip is happy, tar is not.
    const file = path.join(tempDir(), 'cut_1.0.0_all.bpkg');
    writeFileSync(file, gzipSync(readFileSync(tar).subarray(0, 1024 * 1024)));
    const before = openFds();
    for (let i = 0; i < 5; i++)
      await expect(
        extractPackage(file, path.join(tempDir(), `out${i}`), { maxUnpackedBytes: 1 << 26, maxEntries: 10 }),
      ).rejects.toThrow(/Corrupt|Truncated|bad archive|archive/i);
    expect(await settledFds(before)).toBe(before);
  });

  it('leaves no descriptor open when it is stopped inside a file (an operation cancelled)', async () => {
    const src = sourceWithBigFile('stop', 24 * 1024 * 1024);
    const file = path.join(tempDir(), 'stop_1.0.0_all.bpkg');
    execFileSync('tar', ['-czf', file, '-C', src, 'manifest.json', 'payload']);
    const before = openFds();
    for (let i = 0; i < 3; i++) {
      const out = path.join(tempDir(), `out${i}`);
      const stop = new AbortController();
      // Stopped once big.bin is being written (its first bytes are on the disk).
      const watch = setInterval(() => {
        try {
          if (readdirSync(path.join(out, 'payload')).includes('big.bin')) stop.abort(new Error('cancelled'));
        } catch {}
      }, 1);
      await expect(
        extractPackage(file, out, { maxUnpackedBytes: 1 << 27, maxEntries: 10 }, stop.signal),
      ).rejects.toThrow(/cancelled/);
      clearInterval(watch);
    }
    expect(await settledFds(before)).toBe(before);
  });
});
