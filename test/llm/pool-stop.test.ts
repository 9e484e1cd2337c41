import { afterEach, expect, it } from 'vitest';
import { ModelPool } from '../../modules/llm/server/model-pool.js';
import { loadTinyLlama } from './tiny-engine.js';

/**
 * `service stop` during a generation longer than the 7 s drain: the kit dropped the connections and
 * main.ts disposed the pool at once, while the generation (its client gone) was still unwinding on
 * the model: the log read "unloaded model … (the service stops)" and then "error during a stream:
 * internal error: Object is disposed" (QA19). The pool now lets a held model go first, for at most
 * its grace, then unloads it whatever holds it.
 */
const pools: ModelPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.dispose(0);
});

async function heldPool() {
  const pool = new ModelPool([{ id: 'tiny', load: () => loadTinyLlama({ name: 'tiny' }) }], {
    keepAliveMs: 60_000,
  });
  pools.push(pool);
  await pool.start();
  const lease = await pool.acquire('tiny', 60_000);
  const events: string[] = [];
  const dispose = lease.engine.dispose.bind(lease.engine);
  lease.engine.dispose = async () => {
    events.push('unloaded');
    return dispose();
  };
  return { pool, lease, events };
}

it('a model held by a request is unloaded once the request lets it go', async () => {
  const { pool, lease, events } = await heldPool();
  const stopping = pool.dispose(60_000);
  await new Promise((r) => setTimeout(r, 50));
  events.push('released');
  lease.release();
  await stopping;
  expect(events).toEqual(['released', 'unloaded']);
}, 60_000);

it('one never let go is unloaded after the grace', async () => {
  const { pool, events } = await heldPool();
  await pool.dispose(20);
  expect(events).toEqual(['unloaded']);
}, 60_000);
