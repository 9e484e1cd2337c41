/**
 * The small parse worker (modules/rag/server/parse-lanes.ts) has a small heap (96 MiB): a small
 * document that needs more kills it, it is restarted, and the document is parsed again in the large
 * worker. While it restarted, /health answered 503, and blueprint's health watch counts three failed
 * checks in a row (10 s apart) as a crash (src/core/services/restarts.ts): stopped and restarted,
 * and after repeated crashes left stopped. A client sending such documents one after another
 * could make rag look unhealthy whenever it liked. A worker's restart is the pool's own recovery
 * (a restart that fails ends the process): rag is unhealthy only when one lasts (parse-health.ts).
 * Here the small heap is made smaller so that a plain Markdown document fills it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolHealth } from '../../modules/rag/server/parse-health.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag } from '../rag/lone-rag.js';
import { http } from '../rag/server-harness.js';

let rag: ServedProcess;
beforeAll(async () => {
  rag = await startLoneRag('rag-health-', { RAG_SMALL_WORKER_HEAP_MB: '24', RAG_PARSE_WORKERS: '2' });
}, 120_000);
afterAll(() => rag?.kill());

describe('a document that kills the small parse worker does not make rag unhealthy', () => {
  it('/health stays 200 while the small worker restarts; the document is parsed in the large one', async () => {
    // ~600 KB of Markdown (a budget well under 30 s: the small lane), tokens enough to fill 24 MiB.
    const md = '- *a* **b** `c` [d](e)\n'.repeat(26_000);
    const statuses: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        statuses.push((await http(rag.socket, 'GET', '/health')).status);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const r = await ingest(rag.socket, 'text/markdown', 'list.md', md, 120_000);
    polling = false;
    await poll;
    expect(rag.log()).toMatch(/worker exited with/);
    expect([r.status, r.text]).toEqual(PARSED);
    // Before: 503 for the restart's duration.
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
  }, 150_000);
});

describe('a restart that lasts is still unhealthy', () => {
  it('unhealthy once a worker has been restarting for the grace; healthy again when it is back', () => {
    let t = 0;
    let since: number | undefined;
    let restarting = false;
    const healthy = poolHealth(
      { healthy: () => !restarting, restartingSinceMs: () => since },
      30_000,
      () => t,
    );
    restarting = true;
    since = t; // the pool: a worker exited, restarting it
    expect(healthy()).toBe(true);
    t = 29_999;
    expect(healthy()).toBe(true);
    t = 30_000;
    expect(healthy()).toBe(false);
    since = undefined; // the pool: the worker restarted
    restarting = false;
    expect(healthy()).toBe(true);
    // The pool unhealthy with no restart in progress (closing): as the pool says.
    restarting = true;
    expect(healthy()).toBe(false);
  });
});
