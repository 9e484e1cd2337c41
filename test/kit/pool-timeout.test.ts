/**
 * The kit pool's jobTimeoutMs: a job still running at the deadline fails with JobTimeoutError, its
 * worker is stopped and started again, and jobs after it are served; jobs under it are untouched.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobTimeoutError, type Pool, startPool } from '../../modules/kit/server/index.js';

const STUB = new URL('./stub-worker.mjs', import.meta.url);
let pool: Pool<{ name: string }>;
const logged: string[] = [];
beforeAll(async () => {
  pool = await startPool<{ name: string }, { name: string }>({
    file: STUB,
    data: { name: 'timeout' },
    jobTimeoutMs: 500,
    log: (l) => logged.push(l),
  });
});
afterAll(() => pool.close());

it('a job past the deadline fails at it; the worker is restarted and serves the next jobs', async () => {
  const started = Date.now();
  const stuck = pool.run({ ms: 10_000 });
  const queued = pool.run({ echo: 'queued behind it' });
  await expect(stuck).rejects.toBeInstanceOf(JobTimeoutError);
  expect(Date.now() - started).toBeLessThan(2_000);
  await expect(queued).resolves.toMatchObject({ echo: 'queued behind it' });
  await expect(pool.run({ echo: 'after' })).resolves.toMatchObject({ echo: 'after' });
  expect(logged.join('\n')).toMatch(/ran past 1 s: stopping its worker[\s\S]*worker restarted/);
});

it('a job under the deadline is answered, and its timer does not stop the worker later', async () => {
  const restarts = logged.filter((l) => /restarted/.test(l)).length;
  // 50 ms of work against the 500 ms deadline: 300 ms left 200 ms for the answer's way back, which
  // a loaded machine could take. The wait then goes past where the deadline would have been (its
  // timer, due sooner, fires before this one however late both are).
  await expect(pool.run({ ms: 50, echo: 'in time' })).resolves.toMatchObject({ echo: 'in time' });
  await new Promise((r) => setTimeout(r, 600));
  await expect(pool.run({ echo: 'still' })).resolves.toMatchObject({ echo: 'still' });
  expect(logged.filter((l) => /restarted/.test(l)).length).toBe(restarts);
});
