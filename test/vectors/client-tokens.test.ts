/**
 * vectors takes a token per consumer (manifest `socket.clientTokens`): blueprint writes the
 * consumers' own tokens into `client-tokens` in its data folder and gives rag its own, never the
 * admin's (docs/module-wiring.md, "Who is calling"). Its routes check the token themselves (Qdrant
 * clients send `api-key`, which the kit does not know), so a consumer's own token must open them
 * as the admin's does, and a wrong one must not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropTempDir } from '../setup/temp-registry.js';
import { bundle, newDataDir, type Served, serve } from './served.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-own-token-0123456789abcdef';

let served: Served;
let dataDir: string;
beforeAll(async () => {
  dataDir = newDataDir();
  writeFileSync(join(dataDir, 'access-token'), `${ADMIN}\n`);
  writeFileSync(join(dataDir, 'client-tokens'), `rag ${RAG}\n`);
  served = await serve(await bundle(), join(dataDir, 'db'), {
    VECTORS_TOKEN_FILE: join(dataDir, 'access-token'),
    BLUEPRINT_CLIENT_TOKENS_FILE: join(dataDir, 'client-tokens'),
  });
}, 120_000);
afterAll(async () => {
  await served?.stop();
  if (dataDir) dropTempDir(dataDir);
});

function get(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: served.socket, method: 'GET', path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("vectors' own token check and the consumers' tokens", () => {
  it("a consumer's own token (Bearer) opens the routes, as the admin's does either way", async () => {
    expect(await get('/collections', { authorization: `Bearer ${RAG}` })).toBe(200);
    expect(await get('/collections', { authorization: `Bearer ${ADMIN}` })).toBe(200);
    expect(await get('/collections', { 'api-key': ADMIN })).toBe(200);
    // Qdrant's clients send the key as api-key: a consumer that talks to vectors with one sends
    // its own token that way.
    expect(await get('/collections', { 'api-key': RAG })).toBe(200);
    // Qdrant takes api-key first: a stale Bearer beside a good api-key is still in.
    expect(
      await get('/collections', { authorization: 'Bearer stale-0123456789abcdef', 'api-key': RAG }),
    ).toBe(200);
  });

  it('no token, a wrong one, or a token known to no file is a 401', async () => {
    expect(await get('/collections', {})).toBe(401);
    expect(await get('/collections', { authorization: 'Bearer not-a-known-token-0123456789' })).toBe(401);
    expect(await get('/collections', { 'api-key': RAG.replace('rag', 'gar') })).toBe(401);
    expect(await get('/collections', { authorization: `Bearer ${RAG}x` })).toBe(401);
    expect(readFileSync(join(dataDir, 'client-tokens'), 'utf8')).toContain(RAG);
  });
});
