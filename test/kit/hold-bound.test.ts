import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../modules/kit/server/index.js';
import { until } from '../helpers/until.js';
import { holdKit, openHeld as open } from './helpers.js';

/**
 * ctx.hold's own bound (Y's handoff): a module holding a promise that never settles kept its
 * connection from the idle sweep for ever, and the hold counted on after its client had left. Now
 * the hold ends when the request's client leaves (req.signal) and, when given, after `maxMs`; the
 * work itself runs on (the hold only spares the connection).
 */
const IDLE_MS = 200;
const never = new Promise<string>(() => undefined);

const hold = holdKit('hold-bound', IDLE_MS);

/** A kit server whose POST /held holds a promise that never settles (with `maxMs` when given). */
const server = (maxMs: number | undefined, seen: { ctx?: RequestContext }) =>
  hold.serve(async (ctx) => {
    seen.ctx = ctx;
    return { body: { v: await ctx.hold(never, maxMs === undefined ? undefined : { maxMs }) } };
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The connection's count of holds (wire.ts Conn.held). */
const heldOf = (ctx: RequestContext | undefined) => {
  if (!ctx) throw new Error('no request reached the handler');
  return (ctx.req as unknown as { conn: { held: number } }).conn.held;
};

describe('kit: ctx.hold is bounded by the kit', () => {
  it('a hold that never settles, with maxMs: once past it, the idle connection is swept', async () => {
    const seen: { ctx?: RequestContext } = {};
    const c = open(await server(IDLE_MS * 3, seen));
    await sleep(IDLE_MS * 2);
    expect(c.seen.closed).toBe(false); // held: spared
    // Before: still open after 12 idle timeouts (the hold never ended).
    await Promise.race([c.closed, sleep(IDLE_MS * 12)]);
    expect(c.seen.closed).toBe(true);
    expect(heldOf(seen.ctx)).toBe(0);
  });

  it('a hold that never settles, without maxMs: released when its client leaves', async () => {
    const seen: { ctx?: RequestContext } = {};
    const c = open(await server(undefined, seen));
    await sleep(IDLE_MS * 3);
    expect(c.seen.closed).toBe(false); // held with no bound of its own while the client stays
    expect(heldOf(seen.ctx)).toBe(1);
    c.s.end(); // the client leaves
    await c.closed;
    await until('the request aborted', () => seen.ctx!.signal.aborted); // before: at most 0.5 s
    expect(seen.ctx!.signal.aborted).toBe(true);
    // Before: 1 for ever (the connection object kept counting a hold nobody waits for).
    expect(heldOf(seen.ctx)).toBe(0);
    expect(hold.kit!.stats().connections).toBe(0);
  });
});
