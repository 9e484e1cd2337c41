/**
 * rag's document list and markers on a data disk that is full (a 1 MiB tmpfs): a commit that cannot
 * be written fails with the disk's ENOSPC (the kit answers it 507), the list on disk and in memory
 * stays the one before, and no partly written temporary file is left taking the space (before: a
 * `documents.json.tmp` of whatever fitted stayed until the next write).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DocumentRecord, Store } from '../../modules/rag/server/store.js';

let mnt: string;
let mounted = false;
beforeAll(() => {
  mnt = mkdtempSync(join(tmpdir(), 'rag-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]);
  mounted = true;
});
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

const record = (i: number): DocumentRecord => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  source: `doc-${i}.md ${'s'.repeat(2000)}`,
  collection: 'default',
  sha256: String(i).padStart(64, '0'),
  chunks: 1,
  pages: null,
  bytes: 10,
  kind: 'markdown',
  createdAt: '2026-12-03T00:00:00.000Z',
});

it('a commit the full disk cannot take fails with ENOSPC, keeps the list before and leaves no temporary file', async () => {
  const dir = join(mnt, 'data');
  const s = await Store.open(dir);
  for (let i = 0; i < 20; i++) await s.commitAdd(record(i));
  // The rest of the disk taken by something else on the box.
  try {
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024));
  } catch {}
  const err = await s.commitAdd(record(99)).catch((e: NodeJS.ErrnoException) => e);
  expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  expect(s.get(record(99).id)).toBeUndefined();
  expect(readdirSync(dir).sort()).toEqual(['documents.json', 'pending']);
  const mark = await s
    .mark({ id: record(98).id, op: 'ingest', collection: 'default' })
    .catch((e: NodeJS.ErrnoException) => e);
  expect((mark as NodeJS.ErrnoException).code).toBe('ENOSPC');
  expect(readdirSync(join(dir, 'pending'))).toEqual([]);
  expect((await Store.open(dir)).list().length).toBe(20);
  // Space back: the next commit is written.
  rmSync(join(mnt, 'filler'));
  await s.commitAdd(record(99));
  expect((await Store.open(dir)).list().length).toBe(21);
});
