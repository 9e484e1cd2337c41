/**
 * The QA5 walk: rag installed with the modules it uses under names of their own (RAG_EMBEDDINGS_MODULE
 * and its kin, modules/rag/README.md: a variant package such as embeddings-bge), and `service stop
 * emb-qa5 --force`. `rag ask` then said 'the embeddings module is unavailable (ENOENT on
 * /run/blueprint/uses/emb-qa5/api.sock); check it with: blueprint service status embeddings', and the
 * CLI's hint `blueprint service start embeddings`: no module has that name on such a box. The 503
 * now names the module by its name (the role beside the reason), so both commands work.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../modules/kit/server/index.js';
import { Embedder } from '../../modules/rag/server/backends.js';
import { Upstream, upstreamFromEnv } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('rag-upstream-name-');
let server: Server;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
  });
  await new Promise<void>((r) => server.listen(join(dir, 'answers.sock'), r));
});
afterAll(() => server?.close());

const upstream = (socket: string) =>
  new Upstream(
    upstreamFromEnv('embeddings', 2_000, {
      RAG_EMBEDDINGS_MODULE: 'emb-qa5',
      BLUEPRINT_USES_EMB_QA5_SOCKET: socket,
    }),
  );
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as HttpError,
  );

describe('a used module under its own name, unavailable', () => {
  it('the 503 names the module and its status command, not the role', async () => {
    const err = await refusal(upstream(join(dir, 'stopped.sock')).call('POST', '/v1/embeddings', {}));
    expect(err).toBeInstanceOf(HttpError);
    expect(err!.status).toBe(503);
    expect(err!.message).toMatch(/^the emb-qa5 module is unavailable \(embeddings: ENOENT on /);
    expect(err!.message).toContain('check it with: blueprint service status emb-qa5');
    expect(err!.message).not.toContain('status embeddings');
  });

  it('so does an answer without a vector', async () => {
    const err = await refusal(new Embedder(upstream(join(dir, 'answers.sock'))).query('q'));
    expect(err!.status).toBe(503);
    expect(err!.message).toMatch(/^the emb-qa5 module is unavailable \(embeddings: .*vector/);
  });

  it('a module named as its role is said as before', async () => {
    const err = await refusal(
      new Upstream(
        upstreamFromEnv('embeddings', 2_000, { BLUEPRINT_USES_EMBEDDINGS_SOCKET: join(dir, 'none.sock') }),
      ).call('POST', '/v1/embeddings', {}),
    );
    expect(err!.message).toMatch(/^the embeddings module is unavailable \(ENOENT on /);
    expect(err!.message).toContain('blueprint service status embeddings');
  });
});
