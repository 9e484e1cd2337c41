/**
 * The llm service's HTTP API through the official `openai` npm client on a unix socket (an undici
 * Agent with socketPath), with the tiny llama model on node-llama-cpp, in process.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { postJson } from '../helpers/post-json.js';
import { tempDir } from '../setup/temp-registry.js';
import { Q8, reference } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const ref = reference();
const dir = tempDir('llm-api-');
const socket = join(dir, 'api.sock');
const TOKEN = 'llm-test-token-0123456789';
let engine: Engine;
let q8: Engine;
let kit: KitServer;
let client: OpenAI;
const logged: string[] = [];

beforeAll(async () => {
  engine = await loadTinyLlama({ exactKvCache: true });
  // A second model package served beside it (model-serve.test.ts does it in the sandbox).
  q8 = await loadTinyLlama({ modelPath: Q8, name: 'tiny-llama-q8' });
  kit = createApiServer([engine, q8], {
    log: createLog({ name: 'test', write: (l) => logged.push(l) }),
    token: TOKEN,
    maxTokensCap: 256,
    generationTimeoutS: 300,
    limits: { maxQueued: 2, maxQueuedPerConnection: 2 },
  });
  await kit.listen(socket);
  client = openAi(TOKEN);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
  await q8?.dispose();
});

type FetchOptions = NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetchOptions'];

/** The official client, its fetch sent to the unix socket through an undici Agent. */
function openAi(apiKey: string): OpenAI {
  const dispatcher = new Agent({ connect: { socketPath: socket } });
  return new OpenAI({
    baseURL: 'http://localhost/v1',
    apiKey,
    maxRetries: 0,
    fetchOptions: { dispatcher } as unknown as FetchOptions,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked field by field
type Json = any;

/** A raw request (for status codes and headers the client hides). */
const raw = (path: string, body: unknown) => postJson<Json>(socket, path, body, TOKEN);

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return ok();
};

describe('llm API with the openai client on a unix socket', () => {
  it('lists the installed model packages, and /info says model, context, quantisation, device', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-llama', 'tiny-llama-q8']);
    const info = (await client.get('/../info')) as Record<string, unknown>;
    expect(info).toMatchObject({
      model: 'tiny-llama',
      contextLength: 256,
      quantisation: 'F32',
      device: 'cpu',
    });
    expect(info.deviceReason).toBeTruthy();
  });

  it('greedy completion gives the reference tokens', async () => {
    const r = await client.completions.create({
      model: 'tiny-llama',
      prompt: ref.prompt_text,
      temperature: 0,
      max_tokens: ref.greedy_tokens.length,
    });
    expect(r.choices[0]!.text).toBe(engine.detokenize(ref.greedy_tokens));
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage).toMatchObject({
      prompt_tokens: ref.prompt_tokens.length,
      completion_tokens: ref.greedy_tokens.length,
    });
  });

  it('chat: a normal answer, and the same answer streamed (with usage last, then [DONE])', async () => {
    const ask = {
      model: 'tiny-llama',
      messages: [
        { role: 'system' as const, content: 'You are terse.' },
        { role: 'user' as const, content: 'Say something.' },
      ],
      temperature: 0,
      max_tokens: 16,
    };
    const whole = await client.chat.completions.create(ask);
    const answer = whole.choices[0]!.message.content!;
    expect(answer.length).toBeGreaterThan(0);
    expect(whole.object).toBe('chat.completion');
    expect(whole.usage!.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    let finish: string | null = null;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      for (const ch of c.choices) {
        text += ch.delta.content ?? '';
        finish = ch.finish_reason ?? finish;
      }
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(answer);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('the SSE stream ends with data: [DONE]', async () => {
    const body = await new Promise<string>((done, fail) => {
      const req = request(
        {
          socketPath: socket,
          method: 'POST',
          path: '/v1/completions',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        },
        (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          let t = '';
          res.on('data', (c: Buffer) => {
            t += c;
          });
          res.on('end', () => done(t));
        },
      );
      req.on('error', fail);
      req.end(JSON.stringify({ prompt: 'Hello', max_tokens: 4, stream: true, seed: 1 }));
    });
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = body.split('\n\n').filter((e) => e.startsWith('data: {'));
    // Text events (pieces that arrive together may share one), then the finish event.
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(events.at(-1)!.slice(6)).choices[0].finish_reason).toBe('length');
  });

  it('response_format json_schema: the answer always parses and follows the schema', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Pick one.' }],
        seed,
        max_tokens: 64,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'pick',
            schema: {
              type: 'object',
              properties: { ok: { type: 'boolean' }, colour: { enum: ['red', 'green', 'blue'] } },
              required: ['ok', 'colour'],
              additionalProperties: false,
            },
          },
        },
      });
      const v = JSON.parse(r.choices[0]!.message.content!);
      expect(typeof v.ok).toBe('boolean');
      expect(['red', 'green', 'blue']).toContain(v.colour);
    }
  });

  it('a cancelled stream stops generating and frees the slot', async () => {
    const before = engine.generated;
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Go on for a while.' }],
        max_tokens: 200,
        stream: true,
      },
      { signal: ac.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    ac.abort();
    expect(await until(() => kit.stats().running === 0 && kit.stats().queued === 0)).toBe(true);
    const spent = engine.generated - before;
    expect(spent).toBeLessThan(50); // stopped within a few tokens, far from max_tokens (EOS is 1 in ~1000 here)
    // …and the next request gets the slot at once.
    const r = await client.completions.create({ model: 'tiny-llama', prompt: 'Hi', max_tokens: 2 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(engine.generated - before).toBeLessThan(52);
  });

  it('/health answers at once while a generation runs (inference is off the event loop)', async () => {
    // Asserted by order, not by time: a probe sent while the generation runs is answered while it
    // still runs. Were inference on the event loop, the answer would wait for the generation's end.
    let during = 0;
    const healthAgent = new Agent({ connect: { socketPath: socket } });
    // A sampled generation can meet EOS within its first tokens (seen once in CI: it ended before
    // the first probe), so another is started until some probes were answered during one.
    for (let attempt = 0; attempt < 5 && during < 3; attempt++) {
      const long = raw('/v1/completions', { prompt: 'Count', max_tokens: 200, temperature: 1 });
      await until(() => kit.stats().running === 1);
      for (let probes = 0; kit.stats().running === 1 && probes < 20; probes++) {
        const r = await undiciFetch('http://localhost/health', { dispatcher: healthAgent });
        expect(r.status).toBe(200);
        if (kit.stats().running === 1) during++;
      }
      await long;
    }
    expect(during).toBeGreaterThanOrEqual(3);
  });

  it('a full queue answers 503 with Retry-After', async () => {
    const many = await Promise.all(
      Array.from({ length: 8 }, () =>
        raw('/v1/completions', { prompt: 'Count', max_tokens: 200, temperature: 1 }),
      ),
    );
    const busy = many.filter((r) => r.status === 503);
    expect(many.some((r) => r.status === 200)).toBe(true);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers['retry-after']).toBe('1');
    expect(busy[0]!.body.error.type).toBe('server_busy');
  });

  it('context overflow is a clear 400; bad input is a 400 and the service answers on', async () => {
    const long = 'the code will return '.repeat(80);
    const over = await raw('/v1/completions', { prompt: long, max_tokens: 4 });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
    expect(over.body.error.message).toMatch(/context is 256 tokens/);
    await expect(
      client.chat.completions.create({ model: 'tiny-llama', messages: [{ role: 'user', content: long }] }),
    ).rejects.toMatchObject({ status: 400 });
    // Streamed too: refused before any event, as a plain 400 (not an error inside a 200 stream).
    const streamed = await raw('/v1/chat/completions', {
      messages: [{ role: 'user', content: long }],
      stream: true,
    });
    expect(streamed.status).toBe(400);
    expect(streamed.body.error.code).toBe('context_length_exceeded');
    for (const body of [
      {},
      { messages: [] },
      { messages: [{ role: 'wizard', content: 'x' }] },
      { messages: [{ role: 'user', content: 'x' }], temperature: 5 },
      { messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
      { messages: [{ role: 'user', content: 'x' }], stop: [1] },
      { messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema' } },
    ]) {
      const r = await raw('/v1/chat/completions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.type).toBe('invalid_request_error');
    }
    const other = await raw('/v1/chat/completions', {
      model: 'gpt-4',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(other.status).toBe(404);
    // As OpenAI's own 404 for a model (code model_not_found), and what adds one here, as the Ollama
    // routes say it: an OpenAI-client user learns no more than Ollama's otherwise.
    expect(other.body.error).toMatchObject({
      type: 'not_found_error',
      param: 'model',
      code: 'model_not_found',
    });
    expect(other.body.error.message).toMatch(
      /^model 'gpt-4' is not installed; this service serves 'tiny-llama', 'tiny-llama-q8'; a model is added on the box: `blueprint model import FILE\.gguf --name NAME`/,
    );
    const r = await client.completions.create({ model: 'tiny-llama', prompt: 'Still there?', max_tokens: 2 });
    expect(r.choices).toHaveLength(1);
  });

  it('without the token: 401 in the OpenAI shape, with its code invalid_api_key', async () => {
    const anon = openAi('wrong-token-0123456789');
    await expect(anon.models.list()).rejects.toMatchObject({
      status: 401,
      // What OpenAI's API sends for a wrong key, and what its client's AuthenticationError carries.
      code: 'invalid_api_key',
      type: 'authentication_error',
      message: expect.stringContaining('`blueprint service token llm`'),
    });
  });
});
