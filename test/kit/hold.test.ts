import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { holdKit, openHeld as open } from './helpers.js';

/**
 * ctx.hold: work a module queues itself (rag's own queue and parse line, vectors' snapshot line)
 * keeps its connection from the idle sweep, as the kit's own queue does. Before it, a request
 * waiting there with no traffic for idleTimeoutMs had its connection closed and its work dropped.
 */
const IDLE_MS = 200;

interface Gate {
  promise: Promise<string>;
  open(v: string): void;
}
function gate(): Gate {
  let open!: (v: string) => void;
  const promise = new Promise<string>((r) => {
    open = r;
  });
  return { promise, open };
}

const hold = holdKit('hold', IDLE_MS);

/** A kit server whose POST /held awaits `held` through ctx.hold, then `after` (not held). */
const server = (held: Gate, after?: Gate) =>
  hold.serve(async (ctx) => {
    const v = await ctx.hold(held.promise);
    if (after) await after.promise;
    return { body: { v } };
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kit: ctx.hold keeps a connection from the idle sweep', () => {
  it('a request held for 5× the idle timeout gets its answer', async () => {
    const held = gate();
    const c = open(await server(held));
    await sleep(IDLE_MS * 5);
    expect(c.seen.closed).toBe(false);
    held.open('done');
    await until('the held answer', () => c.seen.got.includes('"done"')); // before: at most 1 s
    expect(c.seen.got).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.seen.got).toContain('{"v":"done"}');
    c.s.destroy();
  });

  it('once released, an idle connection is swept again', async () => {
    const held = gate();
    const after = gate(); // never opened: the request waits on, no longer held
    const c = open(await server(held, after));
    await sleep(IDLE_MS * 5);
    expect(c.seen.closed).toBe(false);
    held.open('x');
    await c.closed; // swept: the idle timeout applies again (no answer was sent)
    expect(c.seen.got).toBe('');
  });
});
