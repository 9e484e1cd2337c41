/**
 * fetchBytes of a folder repository's file (src/core/pkg/transport.ts fileBytes): read whole into
 * one buffer, not through a stream (issue 20, a box's first update), with the stream's answers: the
 * bytes as they are, up to `max` of them; more refused (too-large) having read at most one byte
 * past the bound, however big the file; a missing file not-found-remote; a folder not-a-file.
 */
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fetchBytes } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';

describe('fetchBytes of a folder repository file', () => {
  const dir = tempDir('bp-fetch-bytes-');
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = path.join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it('gives the bytes as they are, by path and by file:// URL, up to max', async () => {
    for (const n of [0, 1, 4095, 65_536, 1_048_577]) {
      const bytes = Buffer.alloc(n, n % 251);
      const p = file(`f${n}`, bytes);
      expect(Buffer.from(await fetchBytes(p, n)).equals(bytes), `${n}`).toBe(true);
      expect(Buffer.from(await fetchBytes(pathToFileURL(p).href, n + 10)).equals(bytes)).toBe(true);
    }
  });

  it('refuses a file longer than max (too-large), a 256 MB sparse one without reading it', async () => {
    const p = file('small', 'x'.repeat(101));
    await expect(fetchBytes(p, 100)).rejects.toMatchObject({ code: 'too-large' });
    const big = file('sparse', '');
    truncateSync(big, 256 * 1024 * 1024);
    const rss = process.memoryUsage().rss;
    await expect(fetchBytes(big, 1024)).rejects.toMatchObject({ code: 'too-large' });
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    expect(readFileSync(p, 'utf8')).toHaveLength(101);
  });

  it('a missing file is not-found-remote, a folder not-a-file', async () => {
    await expect(fetchBytes(path.join(dir, 'absent'), 10)).rejects.toMatchObject({
      code: 'not-found-remote',
    });
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    await expect(fetchBytes(sub, 10)).rejects.toMatchObject({ code: 'not-a-file' });
  });
});
