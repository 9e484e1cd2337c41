import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';
import { post } from './helpers.js';

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

let kit: KitServer | undefined;
afterEach(async () => {
  await kit?.drain(500);
  kit = undefined;
});

/** A kit server whose POST /held awaits `held` through ctx.hold, then `after` (not held). */
async function server(held: Gate, after?: Gate) {
  const log = createLog({ name: 'hold', write: () => undefined });
  kit = createKitServer({
    log,
    // The sweep runs every min(1 s, headersTimeoutMs): 100 ms here.
    limits: { idleTimeoutMs: IDLE_MS, headersTimeoutMs: 100 },
    errorBody: (err) => ({ error: err.message }),
    routes: {
      '/held': {
        method: 'POST',
        handle: async (ctx) => {
          const v = await ctx.hold(held.promise);
          if (after) await after.promise;
          return { body: { v } };
        },
      },
    },
  });
  const socket = join(tempDir('kit-hold-'), 'api.sock');
  await kit.listen(socket);
  return socket;
}

/** Opens a connection, sends a request, records what comes back and when it closes. */
function open(socketPath: string) {
  const s: Socket = connect(socketPath);
  const seen = { got: '', closed: false };
  s.on('data', (c: Buffer) => {
    seen.got += c.toString('latin1');
  });
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) =>
    s.on('close', () => {
      seen.closed = true;
      r();
    }),
  );
  s.write(post('/held', '{}'));
  return { s, seen, closed };
}

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
