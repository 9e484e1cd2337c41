/**
 * The pool says when a restart began (restartingSinceMs), so a module need not read its log lines
 * to tell a restart that lasts from one the pool recovers from (rag's parse-health.ts did).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Pool, startPool } from '../../modules/kit/server/index.js';

const STUB = new URL('./stub-worker.mjs', import.meta.url);
let pool: Pool<{ name: string }>;
const logged: string[] = [];
beforeAll(async () => {
  pool = await startPool<{ name: string }, { name: string }>({
    file: STUB,
    data: { name: 'restarts' },
    log: (l) => logged.push(l),
  });
});
afterAll(() => pool.close());

it('undefined while no worker restarts; the time the restart began while one does; undefined after', async () => {
  expect(pool.restartingSinceMs()).toBeUndefined();
  const before = Date.now();
  await expect(pool.run({ crash: true })).rejects.toThrow(/the worker stopped/);
  const since = pool.restartingSinceMs();
  expect(since).toBeGreaterThanOrEqual(before);
  expect(since).toBeLessThanOrEqual(Date.now());
  expect(pool.healthy()).toBe(false);
  // The job waits for the restarted worker; by its answer the restart is over.
  await expect(pool.run({ echo: 'after' })).resolves.toMatchObject({ echo: 'after' });
  expect(pool.restartingSinceMs()).toBeUndefined();
  expect(pool.healthy()).toBe(true);
  // The log lines' wording is kept (modules may still read them).
  expect(logged).toEqual(['worker exited with 3; restarting it', 'worker restarted']);
});
