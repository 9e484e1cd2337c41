/**
 * The vectors service as the container runs it: the esbuild bundle in its own Node 24 process on a
 * unix socket, with its data folder; and a loopback TCP bridge to that socket for clients (such as
 * @qdrant/js-client-rest) that build their own undici Agent and take no socket path.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type Agent as HttpAgent, request } from 'node:http';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { bundleServer } from '../../modules/vectors/package.js';
import { relayTo } from '../helpers/relay.js';
import { bundleInto, moduleCache, type ServedProcess, serveBundle } from '../helpers/served-module.js';
import { dropTempDir, tempDir } from '../setup/temp-registry.js';

const cache = moduleCache('vectors');

export const bundle = (): Promise<string> => bundleInto(cache, bundleServer);

/** A data folder, removed after the test file if the file does not remove it sooner. */
export const newDataDir = () => tempDir('vec-data-');

export interface Served extends ServedProcess {
  dataDir: string;
}

export async function serve(
  serverFile: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Served> {
  return { ...(await serveBundle(cache, serverFile, { VECTORS_DATA_DIR: dataDir, ...env })), dataDir };
}

/** 127.0.0.1:PORT → the unix socket, one socket pair per connection (test only). */
export async function bridge(socketPath: string): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<import('node:net').Socket>();
  const server: Server = relayTo(socketPath, (c, u) => {
    open.add(c).add(u);
    c.once('close', () => open.delete(c));
    u.once('close', () => open.delete(u));
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

/** One request on the socket with node:http (a keep-alive agent per service run); JSON both ways; `headers` besides. */
export function callSocket(
  socket: string,
  agent: HttpAgent,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
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
        headers: {
          ...headers,
          ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        },
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
      if (dataDir) dropTempDir(dataDir);
    },
  };
}
