/**
 * rag keeps its connections to the modules it uses 58 s (67fe95b0; 4 s before). A guard (REVIEW14,
 * found sound): a module restarted in that time (a new server on the same socket path: a new
 * container) is asked on a new connection, never answered by the old one: the old server's close
 * (drained as on SIGTERM, or killed with its connections reset) ends rag's kept connection, and a
 * request that meets that close as it writes is sent again on a new one.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../helpers/pkg.js';

const servers: KitServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.drain(500);
});

async function serve(socket: string, who: string): Promise<KitServer> {
  const kit = createKitServer({
    log: createLog({ name: who, write: () => undefined }),
    errorBody: (err) => ({ error: { message: err.message } }),
    routes: { '/who': { method: 'POST', handle: () => ({ body: { who } }) } },
  });
  await kit.listen(socket);
  servers.push(kit);
  return kit;
}

describe("rag's kept connection to a module restarted on the same socket", () => {
  it.each([
    ['drained (SIGTERM)', (k: KitServer) => k.drain(1_000)],
    // As a killed container: every connection destroyed at once, no drain time.
    ['killed (its connections reset)', (k: KitServer) => k.drain(0)],
  ])('old one %s: the next call goes to the new one', async (_how, stop) => {
    const socket = join(tempDir('rag-kept-restart-'), 'api.sock');
    const old = await serve(socket, 'old');
    const up = new Upstream({ name: 'vectors', socket, timeoutMs: 5_000 });
    expect(await up.call<{ who: string }>('POST', '/who', {})).toEqual({ who: 'old' });
    expect(old.stats().connections).toBe(1); // kept
    await stop(old);
    await serve(socket, 'new');
    for (let i = 0; i < 3; i++)
      expect(await up.call<{ who: string }>('POST', '/who', {})).toEqual({ who: 'new' });
  });
});
