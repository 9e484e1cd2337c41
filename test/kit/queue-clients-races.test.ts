/**
 * The fair queue between clients (modules/kit/server/queue.ts) under interleavings a flood makes:
 * connections closing while their jobs wait, evictions of the biggest holder's newest place, jobs
 * finishing meanwhile, a client named by two tokens. Whatever the order, no place and no worker is
 * lost or counted twice (a leak would refuse everyone later, or run more than `concurrency`), and
 * every client that asks while holding fewer than its share gets a place.
 */
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../modules/kit/server/index.js';

/** A small deterministic generator: the same interleavings at every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the fair queue between clients: races', () => {
  it('random floods, aborts and finishes: counts return to zero, concurrency is never exceeded', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = rng(seed);
      const q = new FairQueue({ concurrency: 2, maxQueued: 8, maxPerKey: 3 });
      const clients = [undefined, 'admin', 'consumer:rag', 'consumer:evil'];
      const conns = Array.from({ length: 6 }, () => ({ ctl: new AbortController() }));
      const gates: (() => void)[] = [];
      let runningNow = 0;
      let most = 0;
      const settled: Promise<unknown>[] = [];
      for (let step = 0; step < 300; step++) {
        const r = rand();
        if (r < 0.6) {
          const c = conns[Math.floor(rand() * conns.length)]!;
          const work = () =>
            new Promise<void>((res) => {
              runningNow++;
              most = Math.max(most, runningNow);
              gates.push(() => {
                runningNow--;
                res();
              });
            });
          settled.push(
            q
              .run(c, work, c.ctl.signal, clients[Math.floor(rand() * clients.length)])
              .catch((e: { status?: number; name?: string }) => e.status ?? e.name),
          );
        } else if (r < 0.8 && gates.length) {
          gates.splice(Math.floor(rand() * gates.length), 1)[0]!();
        } else {
          // A connection closes (its waiting jobs leave), and the slot is a new connection.
          const i = Math.floor(rand() * conns.length);
          conns[i]!.ctl.abort();
          conns[i] = { ctl: new AbortController() };
        }
        await Promise.resolve();
        expect(q.length).toBeLessThanOrEqual(8);
        expect(q.running).toBeLessThanOrEqual(2);
      }
      while (gates.length || q.length || q.running) {
        for (const g of gates.splice(0)) g();
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(settled);
      expect([q.length, q.running, most <= 2]).toEqual([0, 0, true]);
      for (const c of conns) expect(q.holds(c)).toBe(false);
    }
  });

  it('a client named by two tokens (its own and none) holds at most two shares, and the third client still gets a place', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueued: 9, maxPerKey: 9 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const busy = q.run({}, () => gate, undefined, 'admin');
    const [evilOwn, evilAnon, rag] = [{}, {}, {}];
    const out: Promise<unknown>[] = [];
    const ask = (conn: object, client: string | undefined) =>
      out.push(q.run(conn, async () => client ?? 'anonymous', undefined, client).catch((e) => e.status));
    for (let i = 0; i < 9; i++) ask(evilOwn, 'consumer:evil');
    for (let i = 0; i < 9; i++) ask(evilAnon, undefined);
    for (let i = 0; i < 3; i++) ask(rag, 'consumer:rag');
    release();
    await busy;
    const answers = await Promise.all(out);
    // rag's three are all answered: it held fewer than either of evil's names each time it asked.
    expect(answers.slice(18)).toEqual(['consumer:rag', 'consumer:rag', 'consumer:rag']);
    expect(answers.filter((a) => a !== 503).length).toBe(9);
  });
});
