import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

// A body over the kit's limit is a 413; a module that declares the limit as a setting (llm's
// LLM_MAX_BODY_BYTES, vectors' VECTORS_MAX_BODY_BYTES) has the 413 name the command that raises it.
const dir = tempDir('kit-body-setting-');
const servers: KitServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.drain(0);
});

async function serve(maxBodySetting?: string): Promise<string> {
  const kit = createKitServer({
    name: 'mod',
    log: createLog({ name: 'mod', write: () => {} }),
    errorBody: (err) => ({ error: err.message }),
    limits: { maxBodyBytes: 100, ...(maxBodySetting ? { maxBodySetting } : {}) },
    routes: {
      '/work': { method: 'POST', handle: async (ctx) => ({ body: { n: (await ctx.bytes()).length } }) },
    },
  });
  const socket = join(dir, `${servers.length}.sock`);
  await kit.listen(socket);
  servers.push(kit);
  return socket;
}

/** POST `size` bytes, with Content-Length or chunked: status and error message. */
const post = (socketPath: string, size: number, chunked: boolean) =>
  new Promise<{ status: number; error: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: '/work',
        method: 'POST',
        headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(size) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, error: JSON.parse(text).error }));
      },
    );
    req.on('error', reject);
    req.end(Buffer.alloc(size, 120));
  });

describe("the kit's 413", () => {
  it.each([false, true])('names the setting that raises the limit (chunked: %s)', async (chunked) => {
    const socket = await serve('MOD_MAX_BODY_BYTES');
    expect(await post(socket, 1000, chunked)).toEqual({
      status: 413,
      error:
        'request body over 100 bytes; the admin raises the limit with `blueprint service config mod MOD_MAX_BODY_BYTES=BYTES`',
    });
  });

  it('says the limit alone for a module without such a setting', async () => {
    expect(await post(await serve(), 1000, false)).toEqual({
      status: 413,
      error: 'request body over 100 bytes',
    });
  });
});
