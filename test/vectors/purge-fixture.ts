/**
 * What the consumer-purge tests of vectors share: the tokens blueprint would write (the admin's, rag's
 * own), the environment it gives the service for purges, a consumer's collection holding a
 * document's text, the search of the data folder for that text once it is purged, and the service
 * itself for a test file (purgeService).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { dropTempDir } from '../setup/temp-registry.js';
import { bundle, callSocket, newDataDir, type Served, serve } from './served.js';

export const ADMIN = 'admin-token-0123456789abcdef';
export const RAG = 'rag-own-token-0123456789abcdef';
export const OTHER = 'other-own-token-0123456789abcdef';
export const SECRET = 'the-text-of-a-private-document';

/** The service's purge wiring under `dataDir` (the admin's token file unless `admin` is false). */
export const purgeEnv = (dataDir: string, admin = true): Record<string, string> => ({
  ...(admin ? { VECTORS_TOKEN_FILE: join(dataDir, 'access-token') } : {}),
  BLUEPRINT_CLIENT_TOKENS_FILE: join(dataDir, 'client-tokens'),
  BLUEPRINT_PURGE_DIR: dataDir,
});

/** The token files purgeEnv names: the admin's (unless `admin` is false) and the consumers' own. */
export function writeTokenFiles(
  dataDir: string,
  consumers: Record<string, string> = { rag: RAG },
  admin = true,
): void {
  if (admin) writeFileSync(join(dataDir, 'access-token'), `${ADMIN}\n`);
  const lines = Object.entries(consumers).map(([name, token]) => `${name} ${token}\n`);
  writeFileSync(join(dataDir, 'client-tokens'), lines.join(''));
}

/** Every file under `dir` whose bytes still hold `text`. */
export function filesHolding(dir: string, text: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(text)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

type Call = (
  token: string,
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown }>;

/** A collection made with `token`, one point whose payload holds "SECRET of NAME". */
export async function makeDocCollection(
  call: Call,
  token: string,
  name: string,
  wait = false,
): Promise<void> {
  expect(
    (await call(token, 'PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Cosine' } })).status,
  ).toBe(200);
  const up = await call(token, 'PUT', `/collections/${name}/points${wait ? '?wait=true' : ''}`, {
    points: [{ id: 1, vector: [1, 0], payload: { text: `${SECRET} of ${name}` } }],
  });
  expect(up.status).toBe(200);
}

/**
 * The vectors service of a test file with the purge wiring, as its container runs it (the bundle in
 * its own process): before all, the bundle built and a data folder holding the token files
 * (writeTokenFiles's `consumers` and `admin`); after all, stopped and the folder removed. `start(env)`
 * serves it (`env` over purgeEnv; `served` is the running one, undefined when the test says so),
 * `call(token, …)` asks it with that token, `newAgent()` drops the connections kept so far.
 */
export function purgeService(consumers: Record<string, string> = { rag: RAG }, admin = true) {
  let file = '';
  let agent = new Agent({ keepAlive: false });
  const svc = {
    dataDir: '',
    served: undefined as Served | undefined,
    db: () => join(svc.dataDir, 'db'),
    async start(env: Record<string, string> = {}): Promise<Served> {
      svc.served = await serve(file, svc.db(), { ...purgeEnv(svc.dataDir, admin), ...env });
      return svc.served;
    },
    call: (token: string, method: string, path: string, body?: unknown) =>
      callSocket(svc.served!.socket, agent, method, path, body, { authorization: `Bearer ${token}` }),
    newAgent() {
      agent.destroy();
      agent = new Agent({ keepAlive: false });
    },
  };
  beforeAll(async () => {
    file = await bundle();
    svc.dataDir = newDataDir();
    writeTokenFiles(svc.dataDir, consumers, admin);
  }, 120_000);
  afterAll(async () => {
    await svc.served?.stop();
    agent.destroy();
    if (svc.dataDir) dropTempDir(svc.dataDir);
  });
  return svc;
}
