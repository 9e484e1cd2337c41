import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as later } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { describe, expect, it } from 'vitest';
import { extractPackage } from '../../src/core/pkg/archive.js';
import { recycleInflateOutput } from '../../src/core/pkg/inflate-pool.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * gunzip's output goes into buffers used again (src/core/pkg/inflate-pool.ts): a buffer is written
 * again only once the tar parser is done with every byte of it. Files of odd sizes put tar headers
 * across the ends of zlib's output buffers (node-tar keeps such a tail and copies it on its next
 * write); random bytes make the output as large as the archive.
 */
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function archive(): { file: string; files: Map<string, Buffer> } {
  const dir = tempDir();
  const src = path.join(dir, 'src');
  mkdirSync(path.join(src, 'payload/data'), { recursive: true });
  writeFileSync(
    path.join(src, 'manifest.json'),
    JSON.stringify({ name: 'odd', version: '1.0.0', arch: 'all' }),
  );
  const files = new Map<string, Buffer>();
  for (let i = 0; i < 40; i++) {
    const bytes = randomBytes(i % 5 === 0 ? 37 + i : 150_000 + i * 7_919);
    files.set(`data/f${i}.bin`, bytes);
    writeFileSync(path.join(src, `payload/data/f${i}.bin`), bytes);
  }
  const file = path.join(dir, 'odd_1.0.0_all.bpkg');
  execFileSync('tar', ['-czf', file, '-C', src, 'manifest.json', 'payload']);
  return { file, files };
}

/** Reads `file` through gunzip into node-tar with the pool; `onEntry` gets each payload file. */
async function parse(
  file: string,
  onEntry: (entry: ReadEntry, done: (bytes: Buffer) => void) => void,
): Promise<{ reused: number; got: Map<string, Buffer> }> {
  const got = new Map<string, Buffer>();
  const parser = new Parser({ strict: true });
  const inflate = createGunzip({ chunkSize: 64 * 1024 });
  const pool = recycleInflateOutput(
    inflate,
    parser as unknown as NodeJS.WritableStream & import('node:stream').Writable,
  );
  parser.on('entry', (entry: ReadEntry) => {
    if (entry.type !== 'File' || !entry.path.startsWith('payload/')) return entry.resume();
    onEntry(entry, (bytes) => got.set(entry.path.slice('payload/'.length), bytes));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    createReadStream(file)
      .pipe(inflate)
      .pipe(parser as unknown as NodeJS.WritableStream);
  });
  return { reused: pool.reused, got };
}

describe('gunzip output in reused buffers', () => {
  const { file, files } = archive();

  it('unpacks every byte as packed while writing into a few buffers again and again', async () => {
    const { reused, got } = await parse(file, (entry, done) => {
      const parts: Buffer[] = [];
      // Used before the handler returns, as extractStream's handlers do: hashed and copied at once.
      entry.on('data', (c: Buffer) => parts.push(Buffer.from(c)));
      entry.on('end', () => done(Buffer.concat(parts)));
    });
    expect(reused).toBeGreaterThan(50); // ~6.5 MB of output through 64 KiB buffers
    expect(got.size).toBe(files.size);
    for (const [name, bytes] of files) expect(sha256(got.get(name)!), name).toBe(sha256(bytes));
  });

  it('stops reusing once an entry holds its bytes (not flowing), and every byte stays as packed', async () => {
    const { got } = await parse(file, (entry, done) => {
      // A reader that comes late: the entry keeps the slices it is given until then.
      const parts: Buffer[] = [];
      void later().then(() => {
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => done(Buffer.concat(parts)));
      });
    });
    expect(got.size).toBe(files.size);
    for (const [name, bytes] of files) expect(sha256(got.get(name)!), name).toBe(sha256(bytes));
  });

  it('extractPackage: files and their recorded hashes are the packed bytes', async () => {
    const dest = path.join(tempDir(), 'out');
    const out = await extractPackage(file, dest, { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 100 });
    expect(JSON.parse(out.manifestBytes.toString()).name).toBe('odd');
    const records = new Map(out.files.filter((f) => f.sha256).map((f) => [f.path, f.sha256]));
    for (const [name, bytes] of files) {
      expect(records.get(name), name).toBe(sha256(bytes));
      expect(sha256(readFileSync(path.join(dest, 'payload', name))), name).toBe(sha256(bytes));
    }
  });
});
