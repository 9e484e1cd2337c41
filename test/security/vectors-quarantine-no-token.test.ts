/**
 * The quarantine routes (272ac96) where the admin set no token: anyone may call every route
 * then (as before consumer tokens), except a consumer by its own token, which blueprint issues
 * for the other routes only. Checked that authorization is the kit's ctx.client as it names the
 * caller: a consumer's token as Qdrant's api-key, as a Bearer, or as api-key behind a Bearer the
 * kit does not know is 403 on all three routes; a caller with no token or an unknown one is
 * anonymous and may. vectors-quarantine-admin covers the case with an admin token.
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createVectorsServer } from '../../modules/vectors/server/api.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

const RAG = 'rag-token-0123456789';

afterEach(() => {
  delete process.env.BLUEPRINT_CLIENT_TOKENS_FILE;
});

it('with no admin token a consumer by its own token gets 403 on every quarantine route; anyone else may', async () => {
  const dir = tempDir('vec-quar-open-');
  const s = await Store.open(join(dir, 'db'), quiet);
  const tokens = join(dir, 'client-tokens');
  writeFileSync(tokens, `rag ${RAG}\n`);
  process.env.BLUEPRINT_CLIENT_TOKENS_FILE = tokens;
  const kit = createVectorsServer(s, { log: quiet, token: undefined });
  const socket = join(dir, 'api.sock');
  await kit.listen(socket);
  const agent = new Agent({ keepAlive: true });
  const call = (method: string, path: string, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve, reject) => {
      request({ socketPath: socket, agent, method, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
        .on('error', reject)
        .end();
    });
  try {
    const consumer: Record<string, string>[] = [
      { 'api-key': RAG },
      { authorization: `Bearer ${RAG}` },
      { authorization: 'Bearer not-a-known-token', 'api-key': RAG },
    ];
    for (const h of consumer) {
      expect(await call('GET', '/collections', h)).toBe(200); // its own routes open
      expect(await call('GET', '/quarantine', h)).toBe(403);
      expect(await call('DELETE', '/quarantine/0000000000000004', h)).toBe(403);
      expect(await call('POST', '/quarantine/0000000000000004/apply', h)).toBe(403);
    }
    for (const h of [{}, { 'api-key': 'not-a-known-token' }] as Record<string, string>[]) {
      expect(await call('GET', '/quarantine', h)).toBe(200);
      expect(await call('DELETE', '/quarantine/0000000000000004', h)).toBe(404); // none set aside
    }
  } finally {
    agent.destroy();
    await kit.drain(1000);
    await s.close();
  }
});
