/**
 * An install that a power cut follows must leave the old state or the new one (transaction.ts): the
 * database write is the commit, so everything the new state names must be on the disk before it,
 * not only in the page cache. A `kill -9` (test/pkg/crash-safety) cannot show this: the kernel
 * still writes what the process wrote. So the test reads the program's own system calls (strace -y
 * names each descriptor's file): before the rename that commits installed.json, every unpacked file
 * has had fsync/fdatasync, and so has every folder that holds a new entry (the package's folders,
 * the folder the version was renamed into).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, makeSource, repoRoot, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';
import { hasStrace, synced, traceUntil } from '../helpers/power-cut.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');

function files(): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = { VERSION: '1.0.0\n' };
  for (let i = 0; i < 30; i++) out[`data/${i % 4}/deep/f${i}.bin`] = randomBytes(1000 + i * 3_001);
  return out;
}

/** The paths synced (fsync/fdatasync) before the first rename onto `committed`. */
const syncedBefore = (args: string[], committed: string): Set<string> => synced(traceUntil(args, committed));

describe.skipIf(!hasStrace)('install survives a power cut after its commit', () => {
  it('syncs every unpacked file and every folder with a new entry before installed.json is committed', async () => {
    const packed = files();
    const { key, repo } = await signedRepo([{ name: 'durable', version: '1.0.0', files: packed }]);
    const root = await trustingRoot(key, repo);
    const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
    const synced = syncedBefore(['--root', root, '--yes', 'pkg', 'install', 'durable'], db);
    // Unpacked in staging, then the staging folder is renamed to opt/blueprint/durable/1.0.0.
    const staged = [...synced].find((p) => p.endsWith('/VERSION'));
    expect(staged, 'VERSION (the package payload) synced before the commit').toBeDefined();
    const payload = path.dirname(staged!);
    const missing = Object.keys(packed).filter((f) => !synced.has(path.join(payload, f)));
    expect(missing, 'files not synced before the commit').toEqual([]);
    const folders = new Set<string>([payload]);
    for (const f of Object.keys(packed))
      for (let d = path.dirname(f); d !== '.'; d = path.dirname(d)) folders.add(path.join(payload, d));
    expect(
      [...folders].filter((d) => !synced.has(d)),
      'folders not synced before the commit',
    ).toEqual([]);
    const versions = path.join(root, 'opt/blueprint/durable');
    expect(
      synced.has(versions),
      `${versions} (the rename of the version into it) synced before the commit`,
    ).toBe(true);
  });

  it('repo build: the package and its folders are on the disk before index.json names it', async () => {
    const key = await makeKey(path.join(tempDir(), 'key'));
    const src = makeSource(tempDir('bp-src-'), { name: 'durable', version: '1.0.0', files: files() });
    const repo = path.join(tempDir(), 'repo');
    const synced = syncedBefore(
      ['repo', 'build', src, '--repo', repo, '--key', key.privateFile],
      path.join(repo, 'index.json'),
    );
    const pool = path.join(repo, 'pool');
    const pkg = [...synced].find((p) => /durable_1\.0\.0_all\.bpkg(\.tmp)?$/.test(p));
    expect(pkg, 'the package file synced before the index').toBeDefined();
    for (const dir of [path.join(pool, 'durable'), pool])
      expect(synced.has(dir), `${dir} (the package's rename into it) synced before the index`).toBe(true);
  });

  it('model import: the box key is on the disk before installed.json names a package it signed', () => {
    // The key folder is made in a private temporary folder renamed into place. Lost to a power cut
    // after the commit, the box would refuse its own model at every start (a new key does not
    // verify it); half there (the folder renamed, its entries lost), every later import fails.
    const root = tempDir('bp-root-');
    const state = path.join(root, 'var/lib/blueprint');
    const key = path.join(state, 'local-key');
    const lines = traceUntil(
      ['--root', root, '--yes', 'model', 'import', Q8, '--name', 'durable-key'],
      path.join(state, 'pkg/installed.json'),
    );
    const moved = lines.findIndex((l) => /\brename/.test(l) && l.includes(`"${key}"`));
    expect(moved, 'the rename of the key folder into place').toBeGreaterThan(0);
    const tmp = /"([^"]+)"/.exec(lines[moved]!)?.[1];
    const before = synced(lines.slice(0, moved));
    for (const f of ['secret.asc', 'public.asc'])
      expect(before.has(path.join(tmp!, f)), `${f} synced before the key folder's rename`).toBe(true);
    expect(before.has(tmp!), 'the key folder (its two entries) synced before its rename').toBe(true);
    expect(
      synced(lines.slice(moved + 1)).has(state),
      `${state} (the key folder's rename into it) synced before the commit`,
    ).toBe(true);
  });
});
