/**
 * /info says how many generations hold a slot (`generating`) and how many requests wait for one
 * (`waiting`), as llama.cpp's server does: why a client waits is seen in `service status` or with
 * curl, not guessed. Here with a stand-in engine whose generations end when the test says, so the
 * counts are checked at known moments, not after pauses.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import type { Engine, Generation } from '../../modules/llm/server/engine.js';
import { postJson } from '../helpers/served-llm.js';
import { tempDir } from '../setup/temp-registry.js';

const socket = join(tempDir('llm-slots-'), 'api.sock');
/** The generations started and not yet ended: end(i) ends the i-th. */
const running: Array<(g: Generation) => void> = [];
const generation: Generation = {
  text: 'ok',
  finishReason: 'stop',
  timedOut: false,
  promptTokens: 1,
  completionTokens: 1,
};
const engine = {
  info: { model: 'stand-in', parallel: 1, contextLength: 256 },
  maxPromptChars: 4096,
  chat: () => new Promise<Generation>((r) => running.push(r)),
} as unknown as Engine;

let kit: KitServer;
beforeAll(async () => {
  kit = createApiServer(engine, {
    log: createLog({ name: 'test', write: () => undefined }),
    maxTokensCap: 256,
    generationTimeoutS: 60,
  });
  await kit.listen(socket);
});
afterAll(() => kit?.drain(1000));

function info(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/info' }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** /info until `ok` holds (each answer is a later moment of the service; no pause assumes a speed). */
async function until(ok: (i: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (;;) {
    const i = await info();
    if (ok(i)) return i;
    await new Promise((r) => setImmediate(r));
  }
}

describe('/info generating and waiting', () => {
  it('count the generation holding the slot and the requests queued behind it, outside the queue', async () => {
    expect(await info()).toMatchObject({ generating: 0, waiting: 0 });
    const ask = () =>
      postJson(socket, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] });
    const first = ask();
    await until(() => running.length === 1);
    expect(await info()).toMatchObject({ generating: 1, waiting: 0 });
    const second = ask();
    const third = ask();
    // /info is answered while the slot is held and two wait.
    await until((i) => i.waiting === 2);
    expect(await info()).toMatchObject({ generating: 1, waiting: 2 });
    running[0]!(generation);
    expect((await first).status).toBe(200);
    await until(() => running.length === 2);
    expect(await info()).toMatchObject({ generating: 1, waiting: 1 });
    running[1]!(generation);
    await until(() => running.length === 3);
    running[2]!(generation);
    expect([(await second).status, (await third).status]).toEqual([200, 200]);
    expect(await info()).toMatchObject({ generating: 0, waiting: 0 });
  });
});
