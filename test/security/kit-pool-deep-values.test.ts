/**
 * The kit's worker pool (modules/kit/server/pool.ts) and values nested deeper than a thread's stack
 * can clone. JSON.parse takes any depth; structured clone (postMessage) does not, and a worker's
 * stack is larger than the main thread's: a worker can send what the main thread cannot read
 * ('messageerror' on the Worker), and the main thread can be handed a request value it cannot send.
 * Either way the job must fail at once and the worker must take the next one: the vectors service
 * parses every body over 256 KiB in its one worker, so a job that never settles stalled every later
 * large request until a restart (one ~260 KB upsert with a payload nested 6,000 levels did it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, type Pool, startPool } from '../../modules/kit/server/index.js';

const STUB = new URL('../kit/stub-worker.mjs', import.meta.url);
const deep = (n: number) => JSON.parse(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);
/** The job's outcome, or 'hung' when it has not settled within `ms`. */
const settle = (p: Promise<unknown>, ms = 5000) =>
  Promise.race([
    p.then(
      (v) => ({ ok: v }),
      (e: unknown) => ({ error: e }),
    ),
    new Promise((r) => setTimeout(() => r('hung'), ms).unref()),
  ]);

let pool: Pool<{ name: string }>;
beforeAll(async () => {
  pool = await startPool<{ name: string }, { name: string }>({
    file: STUB,
    data: { name: 'deep' },
    log: () => undefined,
  });
});
afterAll(() => pool.close());

describe('a value too deep to clone fails its job, and the worker serves the next', () => {
  // 6,000: the worker sends it, the main thread cannot read it ('messageerror'); 20,000: the worker
  // cannot send it (its own RangeError, a failed job as before).
  it.each([6_000, 20_000])(
    'an answer nested %i deep: the job fails at once, the next is served',
    async (n) => {
      const r = await settle(pool.run({ deep: n }));
      expect(r).not.toBe('hung');
      expect((r as { error: unknown }).error).toBeInstanceOf(Error);
      expect(await settle(pool.run({ echo: 'after' }))).toMatchObject({ ok: { echo: 'after' } });
    },
  );

  it('the answer the main thread could not read is an HttpError 500 saying so', async () => {
    const r = (await settle(pool.run({ deep: 6_000 }))) as { error: unknown };
    expect(r.error).toBeInstanceOf(HttpError);
    expect((r.error as HttpError).status).toBe(500);
    expect((r.error as HttpError).message).toMatch(/answer could not be read/);
  });

  it('a job the main thread cannot send: refused at once, and the slot is not left taken', async () => {
    const r = await settle(pool.run({ echo: deep(20_000) }));
    expect(r).not.toBe('hung');
    expect((r as { error: unknown }).error).toBeInstanceOf(HttpError);
    expect(((r as { error: unknown }).error as HttpError).status).toBe(400);
    expect(await settle(pool.run({ echo: 'next' }))).toMatchObject({ ok: { echo: 'next' } });
  });

  it('a depth both sides clone still answers (the check is not a refusal of nesting)', async () => {
    expect(await settle(pool.run({ deep: 200 }))).toMatchObject({ ok: { a: { a: {} } } });
  });
});
