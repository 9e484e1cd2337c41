/**
 * The module's data disk fills up during a stream of upserts (a tmpfs of 3 MiB as its data folder).
 * Before: a 500 "internal error: ENOSPC", then a 503 "internal error ... restart" for every write.
 * Now each refused upsert gets a 507 that says the disk is full and what to do (free space, then
 * restart: a failed log write may be partly on disk, which the next start cuts); never an answer
 * that claims it was stored; the service keeps serving reads; every acknowledged point is there
 * with its exact vector and payload after a restart, also on the still-full disk; once space is
 * freed, writes are taken again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundle, callSocket as call, type Served, serve } from './served.js';

let file: string;
let mnt: string;
let mounted = false;
beforeAll(async () => {
  file = await bundle();
  mnt = mkdtempSync(join(tmpdir(), 'vec-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', mnt]);
  mounted = true;
}, 60_000);
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

const dim = 32;
const vectorOf = (id: number) => Array.from({ length: dim }, (_, k) => Math.fround(Math.cos(id * 17 + k)));

it('a full data disk: 507 with what to do, acknowledged points kept, writes again once space is freed', async () => {
  const dataDir = join(mnt, 'db');
  // Small checkpoints, so the disk also fills while one is written.
  const env = { VECTORS_CHECKPOINT_BYTES: '200000', VECTORS_CHECKPOINT_SECONDS: '1' };
  let s: Served = await serve(file, dataDir, env);
  let agent = new Agent({ keepAlive: true });
  const acked = new Map<number, { vector: number[]; payload: { text: string } }>();
  try {
    expect(
      (
        await call(s.socket, agent, 'PUT', '/collections/full', {
          vectors: { size: dim, distance: 'Dot' },
        })
      ).status,
    ).toBe(200);
    let refused: { status: number; json: { status?: { error?: string } } } | undefined;
    for (let next = 0; next < 200_000 && !refused; ) {
      const points = Array.from({ length: 50 }, () => {
        const id = next++;
        return { id, vector: vectorOf(id), payload: { text: `point ${id} ${'y'.repeat(200)}` } };
      });
      const r = await call(s.socket, agent, 'PUT', '/collections/full/points?wait=true', { points });
      if (r.status === 200) for (const p of points) acked.set(p.id, { vector: p.vector, payload: p.payload });
      else refused = r;
    }
    expect(refused, 'the 3 MiB disk never filled').toBeDefined();
    expect(refused!.status).toBe(507);
    expect(refused!.json.status?.error).toMatch(/No space left on the module's data disk/);
    expect(refused!.json.status?.error).toMatch(/restart the service/);
    expect(acked.size).toBeGreaterThan(100);
    // Still serving: reads answer, and a second write is refused the same way, not crashed.
    const count = await call(s.socket, agent, 'POST', '/collections/full/points/count', {});
    expect(count.status).toBe(200);
    expect(count.json.result.count).toBeGreaterThanOrEqual(acked.size);
    const again = await call(s.socket, agent, 'PUT', '/collections/full/points?wait=true', {
      points: [{ id: 999_999, vector: vectorOf(1), payload: { text: 'z'.repeat(300_000) } }],
    });
    expect(again.status).toBe(507);
    expect(again.json.status?.error).toMatch(/No space left/);
    // A snapshot the disk cannot take: 507, and no partly written file left in its folder. The
    // disk is filled to the last byte first: a checkpoint that ended meanwhile may have freed old
    // logs (the answers above do not depend on it, a snapshot's size does).
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(4 * 1024 * 1024));
    } catch {}
    const snap = await call(s.socket, agent, 'POST', '/collections/full/snapshots', {});
    expect(snap.status).toBe(507);
    expect(snap.json.status?.error).toMatch(/No space left/);
    expect((await call(s.socket, agent, 'GET', '/collections/full/snapshots')).json.result).toEqual([]);
    const snapDir = join(dataDir, 'snapshots');
    const leftInSnapshots = existsSync(snapDir)
      ? readdirSync(snapDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      : [];
    expect(leftInSnapshots.map((e) => e.name)).toEqual([]);

    // Restarted on the still-full disk: every acknowledged point is there, exactly.
    agent.destroy();
    await s.kill();
    s = await serve(file, dataDir, env);
    agent = new Agent({ keepAlive: true });
    const ids = [...acked.keys()];
    for (let i = 0; i < ids.length; i += 1000) {
      const r = await call(s.socket, agent, 'POST', '/collections/full/points', {
        ids: ids.slice(i, i + 1000),
        with_vector: true,
        with_payload: true,
      });
      expect(r.status).toBe(200);
      for (const p of r.json.result) {
        expect(p.vector).toEqual(acked.get(p.id)!.vector);
        expect(p.payload).toEqual(acked.get(p.id)!.payload);
      }
      expect(r.json.result.length).toBe(Math.min(1000, ids.length - i));
    }
    // Space freed (the disk made bigger): the restarted service takes writes again.
    execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
    const after = await call(s.socket, agent, 'PUT', '/collections/full/points?wait=true', {
      points: [{ id: 1_000_000, vector: vectorOf(5), payload: { text: 'after' } }],
    });
    expect(after.status).toBe(200);
    const got = await call(s.socket, agent, 'POST', '/collections/full/points', {
      ids: [1_000_000],
      with_payload: true,
    });
    expect(got.json.result[0].payload).toEqual({ text: 'after' });
  } finally {
    agent.destroy();
    await s.kill();
  }
}, 180_000);
