import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  createKitServer,
  createLog,
  type KitLimits,
  type KitServer,
  type Pool,
  type Route,
  startPool,
} from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

export const STUB_WORKER = new URL('./stub-worker.mjs', import.meta.url);

export interface Stub {
  kit: KitServer;
  pool: Pool<{ name: string }>;
  socket: string;
  logged: string[];
  close(): Promise<void>;
}

/**
 * A kit server with one route, POST /work {ms, echo, crash}, whose work runs in the stub worker.
 * `clientTokens`: the file of consumer tokens (`NAME TOKEN` lines) blueprint writes for a provider.
 */
export async function stubServer(
  limits: Partial<KitLimits> = {},
  token?: string,
  clientTokens?: string,
): Promise<Stub> {
  const logged: string[] = [];
  const log = createLog({ name: 'stub', write: (t) => logged.push(t) });
  const pool = await startPool<{ name: string }, { name: string }>({
    file: STUB_WORKER,
    data: { name: 'stub' },
    log,
  });
  const kit = createKitServer({
    log,
    token,
    clientTokens,
    healthy: pool.healthy,
    limits,
    errorBody: (err) => ({ error: { message: err.message, status: err.status } }),
    routes: {
      '/work': {
        method: 'POST',
        handle: async (ctx) => {
          const body = (await ctx.json()) as { ms?: number; echo?: string; crash?: boolean };
          const out = (await ctx.queue(() => pool.run(body))) as { echo: string; vector: Float32Array };
          return { body: { echo: out.echo, vector: Array.from(out.vector) } };
        },
      },
    },
  });
  const socket = join(tempDir('kit-'), 'api.sock');
  await kit.listen(socket);
  return {
    kit,
    pool,
    socket,
    logged,
    close: async () => {
      await kit.drain(2000);
      await pool.close();
    },
  };
}

/** Sends raw bytes and collects every HTTP answer on that connection until it closes or `ms` pass. */
export function rawExchange(socketPath: string, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((done) => {
    const s: Socket = connect(socketPath);
    let got = '';
    const t = setTimeout(() => s.destroy(), ms);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      done(got);
    });
    s.write(bytes);
  });
}

export const post = (path: string, body: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/**
 * The ctx.hold tests' kit server (test/kit/hold*): idle timeout `idleMs`, its sweep every 100 ms
 * (min(1 s, headersTimeoutMs)), POST /held answered by `handle`, on a socket in a temp folder;
 * drained after each test. `kit` is the one serving now.
 */
export function holdKit(name: string, idleMs: number) {
  const h = {
    kit: undefined as KitServer | undefined,
    async serve(handle: Route['handle']): Promise<string> {
      h.kit = createKitServer({
        log: createLog({ name, write: () => undefined }),
        limits: { idleTimeoutMs: idleMs, headersTimeoutMs: 100 },
        errorBody: (err) => ({ error: err.message }),
        routes: { '/held': { method: 'POST', handle } },
      });
      const socket = join(tempDir(`kit-${name}-`), 'api.sock');
      await h.kit.listen(socket);
      return socket;
    },
  };
  afterEach(async () => {
    await h.kit?.drain(500);
    h.kit = undefined;
  });
  return h;
}

/** Opens a connection and sends POST /held; records what comes back and when it closes. */
export function openHeld(socketPath: string) {
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

/**
 * A kit server per test (kit/body-stream, security/kit-body-*): `serve` starts one with a silent
 * log, the error as its body and `o`, on a socket in a temp folder named `name`; after each test the
 * connections pushed on `sockets` are destroyed and the server drained.
 */
export function kitPerTest(name: string) {
  const k = {
    kit: undefined as KitServer | undefined,
    sockets: [] as Socket[],
    async serve(o: Omit<Parameters<typeof createKitServer>[0], 'log' | 'errorBody'>): Promise<string> {
      k.kit = createKitServer({
        log: createLog({ name: 't', write: () => undefined }),
        errorBody: (err) => ({ error: err.message }),
        ...o,
      });
      const socket = join(tempDir(`${name}-`), 'api.sock');
      await k.kit.listen(socket);
      return socket;
    },
  };
  afterEach(async () => {
    for (const s of k.sockets.splice(0)) s.destroy();
    await k.kit?.drain(1000);
    k.kit = undefined;
  });
  return k;
}
