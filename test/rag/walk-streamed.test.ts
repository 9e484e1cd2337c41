/**
 * `blueprint rag ingest DIR` walks folders with src/core/system/walk.ts, which read each folder
 * whole (readdir: every entry's name and type in one array, however many, before one was looked
 * at) and sorted it. It now reads each folder as a stream (opendir, a bounded buffer of entries)
 * and keeps only what it will use (folders, and names of the types sent), sorted as before: the
 * order and the refusals are those of test/rag/cli-walk.test.ts. readdir is not called at all.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { collectFiles } from '../../src/core/system/walk.js';
import { tempDir } from '../helpers/pkg.js';

const calls = vi.hoisted(() => ({ readdir: 0, opendir: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    readdir: (...a: Parameters<typeof real.readdir>) => {
      calls.readdir++;
      return real.readdir(...a);
    },
    opendir: (...a: Parameters<typeof real.opendir>) => {
      calls.opendir++;
      return real.opendir(...a);
    },
  };
});

beforeEach(() => {
  calls.readdir = 0;
  calls.opendir = 0;
});

describe('the walk reads folders as a stream', () => {
  it('a folder of many entries: streamed, the wanted files in name order, the rest passed over', async () => {
    const base = tempDir('bp-walk-stream-');
    const docs = join(base, 'docs');
    mkdirSync(join(docs, 'sub'), { recursive: true });
    // Written in reverse name order, more than any one buffer of entries.
    for (let i = 999; i >= 0; i--) {
      const n = String(i).padStart(4, '0');
      writeFileSync(join(docs, `${n}.${i % 10 === 0 ? 'md' : 'png'}`), n);
    }
    writeFileSync(join(docs, 'sub/z.txt'), 'z');
    writeFileSync(join(base, 'secret.txt'), 'secret');
    symlinkSync(join(base, 'secret.txt'), join(docs, 'leak.txt'));
    const { files, refused } = await collectFiles([docs], ['.md', '.txt']);
    expect(files.map((f) => f.name)).toEqual([
      ...Array.from({ length: 100 }, (_, k) => `docs/${String(k * 10).padStart(4, '0')}.md`),
      'docs/sub/z.txt',
    ]);
    expect(refused.map((r) => [r.name, r.error.code])).toEqual([['docs/leak.txt', 'link-outside']]);
    expect(calls.readdir).toBe(0);
    expect(calls.opendir).toBe(2);
  });

  it('a folder that cannot be read is refused, as before', async () => {
    const base = tempDir('bp-walk-stream-');
    const docs = join(base, 'docs');
    mkdirSync(join(docs, 'locked'), { recursive: true });
    writeFileSync(join(docs, 'a.md'), 'a');
    const { chmodSync } = await import('node:fs');
    chmodSync(join(docs, 'locked'), 0o000);
    try {
      const { files, refused } = await collectFiles([docs], ['.md']);
      expect(files.map((f) => f.name)).toEqual(['docs/a.md']);
      // Root reads any folder: then nothing is refused.
      if (process.getuid?.() !== 0)
        expect(refused.map((r) => [r.name, r.error.code])).toEqual([['docs/locked', 'unreadable']]);
    } finally {
      chmodSync(join(docs, 'locked'), 0o755);
    }
  });
});
