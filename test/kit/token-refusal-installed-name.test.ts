/**
 * PYCLIENT found (session 45): embeddings installed under another name (`emb-py-…`, as a second rag
 * is `rag-fr`) refused a client without its token with "run `blueprint service token embeddings`":
 * the module's default name, a command that sets another service's token (or none). blueprint tells
 * a module the name it is installed under (BLUEPRINT_MODULE, src/core/services/policy.ts); the kit's
 * 401 names that one. A value that is not a module name is not echoed: the default name then.
 */
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

let kit: KitServer | undefined;
let dispatcher: Agent | undefined;
afterEach(async () => {
  delete process.env.BLUEPRINT_MODULE;
  await kit?.drain(1000);
  await dispatcher?.close();
});

async function refusal(installedAs: string | undefined): Promise<string> {
  if (installedAs === undefined) delete process.env.BLUEPRINT_MODULE;
  else process.env.BLUEPRINT_MODULE = installedAs;
  kit = createKitServer({
    name: 'embeddings',
    log: createLog({ name: 'refusal', write: () => undefined }),
    errorBody: (e) => ({ error: { message: e.message } }),
    token: 'a-token-of-enough-length',
    routes: { '/v1/models': { method: 'GET', handle: () => ({ body: { data: [] } }) } },
  });
  const sock = join(tempDir('kit-refusal-'), 'api.sock');
  await kit.listen(sock);
  dispatcher = new Agent({ connect: { socketPath: sock } });
  const res = await fetch('http://localhost/v1/models', { dispatcher });
  expect(res.status).toBe(401);
  return ((await res.json()) as { error: { message: string } }).error.message;
}

describe("a module's 401 names the command for the name it is installed under", () => {
  it('installed as emb-fr: `blueprint service token emb-fr`', async () => {
    const message = await refusal('emb-fr');
    expect(message).toContain('`blueprint service token emb-fr`');
    expect(message).not.toContain('token embeddings`');
  });

  it('not told (run by hand): its own name', async () => {
    expect(await refusal(undefined)).toContain('`blueprint service token embeddings`');
  });

  it('told something that is no module name: its own name, the value not echoed', async () => {
    const message = await refusal('x`; \u001b[2Jrm -rf /');
    expect(message).toContain('`blueprint service token embeddings`');
    expect(message).not.toContain('rm -rf');
  });
});
