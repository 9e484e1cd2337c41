/**
 * The vectors service as the container runs it: the esbuild bundle in its own Node 24 process on a
 * unix socket, with its data folder; and a loopback TCP bridge to that socket for clients (such as
 * @qdrant/js-client-rest) that build their own undici Agent and take no socket path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent as HttpAgent, request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { bundleServer } from '../../modules/vectors/package.js';

const repo = resolve(import.meta.dirname, '../..');
// Inside node_modules so that the bundle's external hnswlib-node resolves as in the image.
const cache = join(repo, 'node_modules/.cache/blueprint-vectors-test');

export async function bundle(): Promise<string> {
  mkdirSync(cache, { recursive: true });
  const file = join(mkdtempSync(join(cache, 'b-')), 'server.mjs');
  await bundleServer(file);
  return file;
}

export const newDataDir = () => {
  mkdirSync(cache, { recursive: true });
  return mkdtempSync(join(cache, 'd-'));
};

export interface Served {
  socket: string;
  dataDir: string;
  pid: number;
  log(): string;
  exited: Promise<number | null>;
  kill(): Promise<void>;
  stop(): Promise<number | null>;
}

export async function serve(
  serverFile: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Served> {
  const dir = mkdtempSync(join(cache, 's-'));
  const socket = join(dir, 'api.sock');
  let text = '';
  const child: ChildProcess = spawn(process.execPath, [serverFile], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BLUEPRINT_SOCKET: socket,
      VECTORS_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!/serving /.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the service did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    socket,
    dataDir,
    pid: child.pid!,
    log: () => text,
    exited,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    stop: async () => {
      let t: NodeJS.Timeout | undefined;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      }
      const code = await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** 127.0.0.1:PORT → the unix socket, one socket pair per connection (test only). */
export async function bridge(socketPath: string): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<import('node:net').Socket>();
  const server: Server = createServer((c) => {
    const u = connect(socketPath);
    open.add(c).add(u);
    c.once('close', () => open.delete(c));
    u.once('close', () => open.delete(u));
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of open) s.destroy(); // idle keep-alive pipes
      }),
  };
}

/**
 * Sends every fetch of this process through an undici Agent connected to the socket, whatever host
 * the URL names: what a Node program does for clients that take only a URL and call the global
 * fetch (@qdrant/js-client-rest, and LangChain's QdrantVectorStore that builds one). Returns the undo.
 */
export function fetchThroughSocket(socketPath: string): () => Promise<void> {
  const agent = new Agent({ connect: { socketPath } });
  const real = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
  return async () => {
    globalThis.fetch = real;
    await agent.close();
  };
}

/** One request on the socket with node:http (a keep-alive agent per service run); JSON both ways. */
export function callSocket(
  socket: string,
  agent: HttpAgent,
  method: string,
  path: string,
  body?: unknown,
): Promise<{
  status: number; // biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
  json: any;
}> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        agent,
        method,
        path,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A deterministic text embedding for the framework tests (LangChain, LlamaIndex): a bag of words,
 * each word hashed to one of `dim` dimensions and a sign, then normalised. Texts that share words
 * are near, so the nearest documents are known without a model.
 */
export function hashedWords(text: string, dim = 64): number[] {
  const v = new Array<number>(dim).fill(0);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const h = createHash('sha256').update(w).digest();
    v[h[0]! % dim]! += h[1]! & 1 ? 1 : -1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/**
 * The service with an access token, every fetch of this test process sent to its socket (what the
 * framework tests need: their stores build their own Qdrant client from a URL). For beforeAll /
 * afterAll.
 */
export function tokenServedThroughFetch(token: string) {
  let served: Served | undefined;
  let dataDir: string | undefined;
  let undo: (() => Promise<void>) | undefined;
  return {
    async start() {
      dataDir = newDataDir();
      writeFileSync(join(dataDir, 'access-token'), `${token}\n`);
      served = await serve(await bundle(), join(dataDir, 'db'), {
        VECTORS_TOKEN_FILE: join(dataDir, 'access-token'),
      });
      // Every fetch of this test process goes to the socket, whatever host the URL names.
      undo = fetchThroughSocket(served.socket);
    },
    async stop() {
      await undo?.();
      await served?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
