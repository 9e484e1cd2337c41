/**
 * What the consumer-purge tests of vectors share: the tokens blueprint would write (the admin's, rag's
 * own), the environment it gives the service for purges, a consumer's collection holding a
 * document's text, and the search of the data folder for that text once it is purged.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

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
