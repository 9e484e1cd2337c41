/**
 * The vectors service as a separate process on its unix socket, reached by the real
 * @qdrant/js-client-rest over a loopback bridge (the client builds its own undici Agent), for the
 * client tests (client.test.ts, client-snapshots.test.ts, collection-metadata, text-index-params). `withVectorsService()` starts it for the
 * calling test file; the bindings below are live (set in its beforeAll).
 */
import { rmSync } from 'node:fs';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll } from 'vitest';
import { bridge, bundle, newDataDir, type Served, serve } from './served.js';

export let served: Served;
export let br: Awaited<ReturnType<typeof bridge>>;
export let client: QdrantClient;
export let dataDir: string;

async function start(): Promise<void> {
  served = await serve(await bundle(), dataDir);
  br = await bridge(served.socket);
  client = new QdrantClient({ url: br.url, checkCompatibility: false });
}

async function stop(kill = false): Promise<void> {
  await br?.close();
  if (kill) await served?.kill();
  else await served?.stop();
}

export function withVectorsService(): void {
  beforeAll(async () => {
    dataDir = newDataDir();
    await start();
  }, 60_000);

  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/** The service stopped (or killed: `kill -9`) and started again on the same data folder. */
export async function restartVectors(kill = false): Promise<void> {
  await stop(kill);
  await start();
}

/** A raw request, for what the client has no method for and for malformed bodies. */
export async function raw(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${br.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
export function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
}
export const vec = (r: () => number, d: number) => Array.from({ length: d }, r);
export const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
