/**
 * The llm service's Ollama-native API (/api/*, GET and HEAD /) through the official `ollama` npm
 * client on a unix socket, with the tiny llama on node-llama-cpp, in process (the same server the
 * module runs; ollama-podman.test.ts speaks to the module in its Podman sandbox).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import type { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog, type KitServer } from '../../modules/kit/server/index.js';
import { createApiServer } from '../../modules/llm/server/api.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { tempDir } from '../setup/temp-registry.js';
import { ollamaOnSocket, reference } from './helpers.js';
import { loadTinyLlama } from './tiny-engine.js';

const ref = reference();
const dir = tempDir('llm-ollama-');
const socket = join(dir, 'api.sock');
const TOKEN = 'llm-ollama-token-0123456789';
let engine: Engine;
let kit: KitServer;
let client: Ollama;
const logged: string[] = [];

beforeAll(async () => {
  engine = await loadTinyLlama({ exactKvCache: true });
  kit = createApiServer([engine], {
    log: createLog({ name: 'test', write: (l) => logged.push(l) }),
    token: TOKEN,
    maxTokensCap: 256,
    generationTimeoutS: 300,
    facts: { 'tiny-llama': { digest: 'ab'.repeat(32), modifiedAt: '2026-01-02T03:04:05.000Z' } },
  });
  await kit.listen(socket);
  client = ollamaOnSocket(socket, TOKEN);
});
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

/** A raw request: status, content-type and text, for what the client does not show. */
function raw(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<{ status: number; type: string | undefined; text: string }> {
  return new Promise((done, fail) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c;
        });
        res.on('end', () => done({ status: res.statusCode!, type: res.headers['content-type'], text }));
      },
    );
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The client's ResponseError (not exported by the package): the status and Ollama's `error` message. */
interface ResponseError extends Error {
  status_code: number;
  error: string;
}

/** The client's error for a call that must fail. */
async function refused(call: Promise<unknown>): Promise<ResponseError> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as ResponseError;
  expect(err?.name).toBe('ResponseError');
  return err;
}

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return ok();
};

describe('llm: Ollama-native API with the official ollama client on a unix socket', () => {
  it('GET and HEAD / say "Ollama is running" without a token; /api/version answers', async () => {
    const get = await raw('GET', '/', undefined, null);
    expect(get).toMatchObject({ status: 200, text: 'Ollama is running' });
    expect(get.type).toMatch(/^text\/plain/);
    expect(await raw('HEAD', '/', undefined, null)).toMatchObject({ status: 200, text: '' });
    expect((await client.version()).version).toMatch(/^0\.\d+\.\d+$/);
  });

  it('list, ps and show describe the model as Ollama does', async () => {
    const { models } = await client.list();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      name: 'tiny-llama:latest',
      model: 'tiny-llama:latest',
      digest: 'ab'.repeat(32),
      size: engine.info.sizeBytes,
      details: { format: 'gguf', family: 'llama', quantization_level: 'F32' },
    });
    expect(new Date(models[0]!.modified_at).toISOString()).toBe('2026-01-02T03:04:05.000Z');
    const ps = await client.ps();
    expect(ps.models[0]).toMatchObject({ name: 'tiny-llama:latest', size_vram: 0 });
    const shown = await client.show({ model: 'tiny-llama' });
    expect(shown.details).toMatchObject({ family: 'llama', quantization_level: 'F32' });
    expect(shown.model_info).toMatchObject({ 'general.architecture': 'llama', 'llama.context_length': 256 });
    expect(shown.parameters).toMatch(/num_ctx\s+256/);
  });

  it('chat: whole and streamed give the same answer, the done object with its figures', async () => {
    const ask = {
      model: 'tiny-llama:latest',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say something.' },
      ],
      options: { temperature: 0, num_predict: 12 },
    };
    const whole = await client.chat({ ...ask, stream: false });
    expect(whole).toMatchObject({ model: 'tiny-llama:latest', done: true, message: { role: 'assistant' } });
    expect(whole.message.content.length).toBeGreaterThan(0);
    expect(whole.done_reason).toMatch(/^(length|stop)$/);
    expect(whole.eval_count).toBeGreaterThan(0);
    expect(whole.prompt_eval_count).toBeGreaterThan(0);
    expect(whole.total_duration).toBeGreaterThan(0);
    expect(whole.total_duration).toBeGreaterThanOrEqual(whole.eval_duration);
    let text = '';
    let parts = 0;
    let last: Record<string, unknown> | undefined;
    for await (const part of await client.chat({ ...ask, stream: true })) {
      text += part.message.content;
      parts++;
      last = part as unknown as Record<string, unknown>;
    }
    expect(text).toBe(whole.message.content);
    expect(parts).toBeGreaterThan(1);
    expect(last).toMatchObject({ done: true, done_reason: whole.done_reason, eval_count: whole.eval_count });
  });

  it('generate: raw gives the reference tokens; otherwise the prompt is a user turn, as a chat of it', async () => {
    const r = await client.generate({
      model: 'tiny-llama',
      prompt: ref.prompt_text,
      raw: true,
      stream: false,
      options: { temperature: 0, num_predict: ref.greedy_tokens.length },
    });
    expect(r.response).toBe(engine.detokenize(ref.greedy_tokens));
    expect(r).toMatchObject({ done: true, done_reason: 'length', eval_count: ref.greedy_tokens.length });
    expect(r.prompt_eval_count).toBe(ref.prompt_tokens.length);
    const options = { temperature: 0, num_predict: 10 };
    const templated = await client.generate({
      model: 'tiny-llama',
      prompt: 'Hello',
      system: 'Be brief.',
      options,
    });
    const chat = await client.chat({
      model: 'tiny-llama',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      options,
    });
    expect(templated.response).toBe(chat.message.content);
    let streamed = '';
    for await (const part of await client.generate({
      model: 'tiny-llama',
      prompt: 'Hello',
      system: 'Be brief.',
      options,
      stream: true,
    }))
      streamed += part.response;
    expect(streamed).toBe(templated.response);
  });

  it('an empty chat or prompt is the "load" call, answered at once', async () => {
    expect(await client.chat({ model: 'tiny-llama', messages: [] })).toMatchObject({
      done: true,
      done_reason: 'load',
    });
    expect(await client.generate({ model: 'tiny-llama', prompt: '' })).toMatchObject({
      done: true,
      done_reason: 'load',
    });
  });

  it('format: a JSON schema, and "json", always parse', async () => {
    const schema = {
      type: 'object',
      properties: { ok: { type: 'boolean' }, colour: { enum: ['red', 'green', 'blue'] } },
      required: ['ok', 'colour'],
      additionalProperties: false,
    };
    for (const seed of [1, 2]) {
      const r = await client.chat({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Pick one.' }],
        format: schema,
        options: { seed, num_predict: 64 },
      });
      const v = JSON.parse(r.message.content);
      expect(typeof v.ok).toBe('boolean');
      expect(['red', 'green', 'blue']).toContain(v.colour);
    }
    const j = await client.generate({
      model: 'tiny-llama',
      prompt: 'JSON:',
      format: 'json',
      options: { seed: 3, num_predict: 48 },
    });
    if (j.done_reason === 'stop') expect(typeof JSON.parse(j.response ?? '')).toBe('object');
    else expect(j.response?.startsWith('{')).toBe(true); // cut by num_predict: an object begun
  });

  it('options: top_k and seed are honoured; a field not served is a 400 naming it', async () => {
    const ask = {
      model: 'tiny-llama',
      prompt: 'Once',
      raw: true,
      options: { seed: 7, top_k: 5, temperature: 1, num_predict: 8 },
    };
    const a = await client.generate(ask);
    const b = await client.generate(ask);
    expect(a.response).toBe(b.response);
    for (const [options, field] of [
      [{ repeat_penalty: 0 }, 'options.repeat_penalty'], // served (penalties.test.ts) above 0
      [{ num_thread: 4 }, 'options.num_thread'],
      [{ temperature: 5 }, 'options.temperature'],
      [{ num_predict: 0 }, 'options.num_predict'],
      [{ top_k: 0 }, 'options.top_k'],
      [{ wizardry: 1 }, 'options.wizardry'],
    ] as const) {
      const e = await refused(
        client.generate({ model: 'tiny-llama', prompt: 'x', options: options as Record<string, number> }),
      );
      expect(e.status_code, field).toBe(400);
      expect(e.error, field).toContain(`'${field}'`);
    }
    // Values that ask for nothing pass: no penalty, a context within the service's.
    const ok = await client.generate({
      model: 'tiny-llama',
      prompt: 'x',
      options: { repeat_penalty: 1, num_ctx: 128, num_predict: 2 },
    });
    expect(ok.done).toBe(true);
    const img = await refused(client.generate({ model: 'tiny-llama', prompt: 'x', images: ['aGVsbG8='] }));
    expect([img.status_code, img.error]).toEqual([400, expect.stringContaining("'images' is not supported")]);
    const sys = await refused(client.generate({ model: 'tiny-llama', prompt: 'x', raw: true, system: 'y' }));
    expect([sys.status_code, sys.error]).toEqual([
      400,
      expect.stringContaining("'system' is not used with 'raw'"),
    ]);
    const tool = await refused(
      client.chat({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'x' }],
        // Tools are served (tools.test.ts); a schema the call grammar cannot enforce is not.
        tools: [
          {
            type: 'function',
            function: {
              name: 'f',
              parameters: { type: 'object', properties: { n: { type: 'number', minimum: 0 } } } as never,
            },
          },
        ],
      }),
    );
    expect([tool.status_code, tool.error]).toEqual([400, expect.stringContaining("has 'minimum'")]);
  });

  it("num_ctx past the context is served with it, as Ollama serves one past a model's; a prompt past it says so", async () => {
    const ok = await client.generate({
      model: 'tiny-llama',
      prompt: 'x',
      options: { num_ctx: 8192, num_predict: 2 },
    });
    expect(ok.done).toBe(true);
    expect(logged.join('\n')).toContain(
      "options.num_ctx 8192 asked; served with this service's context of 256 tokens",
    );
    const long = 'many words here '.repeat(100); // ~400 tokens: more than the 256 of context
    const e = await refused(
      client.chat({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: long }],
        options: { num_ctx: 8192 },
      }),
    );
    expect(e.status_code).toBe(400);
    expect(e.error).toMatch(
      /this model's context is 256 tokens .*options\.num_ctx 8192 cannot change it\): send less, or raise LLM_CONTEXT/,
    );
  });

  it('malformed bodies are 400s naming the field, never a 500', async () => {
    const m = [{ role: 'user', content: 'x' }];
    for (const [path, body, field] of [
      ['/api/chat', [], 'the body must be a JSON object'],
      ['/api/chat', { model: 5, messages: m }, "'model'"],
      ['/api/chat', { messages: m }, "'model' is required"],
      ['/api/chat', { model: 'tiny-llama', messages: [null] }, "'messages[0]'"],
      [
        '/api/chat',
        { model: 'tiny-llama', messages: [{ role: 'robot', content: 'x' }] },
        "'messages[0].role'",
      ],
      [
        '/api/chat',
        // A tool's result with no call before it (tools.ts).
        { model: 'tiny-llama', messages: [{ role: 'tool', content: 'x' }] },
        "'messages[0]' is a tool message that does not follow",
      ],
      [
        '/api/chat',
        { model: 'tiny-llama', messages: [{ role: 'user', content: 5 }] },
        "'messages[0].content'",
      ],
      [
        '/api/chat',
        { model: 'tiny-llama', messages: [{ role: 'user', content: 'x', images: ['x'] }] },
        "'messages[0].images'",
      ],
      ['/api/chat', { model: 'tiny-llama', messages: m, options: [] }, "'options'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, options: { stop: 5 } }, "'options.stop'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, options: { seed: -5 } }, "'options.seed'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, options: { top_p: 'x' } }, "'options.top_p'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, format: 5 }, "'format'"],
      [
        '/api/chat',
        { model: 'tiny-llama', messages: m, format: { type: 'object', properties: { '\u202e': {} } } },
        'format has a control or bidi character',
      ],
      ['/api/chat', { model: 'tiny-llama', messages: m, stream: 'yes' }, "'stream'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, keep_alive: {} }, "'keep_alive'"],
      ['/api/chat', { model: 'tiny-llama', messages: m, think: true }, "'think'"],
      [
        '/api/chat',
        { model: 'tiny-llama', messages: m, prompt: 'x' },
        "'prompt' is not a field of /api/chat",
      ],
      ['/api/generate', { model: 'tiny-llama', prompt: 5 }, "'prompt'"],
      ['/api/generate', { model: 'tiny-llama', prompt: 'x', raw: 'yes' }, "'raw'"],
      ['/api/generate', { model: 'tiny-llama', prompt: 'x', system: 5 }, "'system'"],
      ['/api/generate', { model: 'tiny-llama', prompt: 'x', suffix: 'y' }, "'suffix'"],
      ['/api/generate', { model: 'tiny-llama', prompt: 'x', context: [1, 2] }, "'context'"],
      ['/api/show', { model: ['x'] }, "'model'"],
      [
        '/api/generate',
        { model: 'tiny-llama', prompt: 'x', generation_timeout_s: 301 },
        "'generation_timeout_s'",
      ],
    ] as const) {
      const r = await raw('POST', path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(r.text).error, JSON.stringify(body)).toContain(field);
    }
  });

  it('a model not served is a 404 saying how a model is added; tags other than latest are not served', async () => {
    for (const model of ['llama3.2', 'tiny-llama:7b']) {
      const e = await refused(client.chat({ model, messages: [{ role: 'user', content: 'x' }] }));
      expect(e.status_code).toBe(404);
      expect(e.error).toContain(`model '${model}' not found`);
      expect(e.error).toContain('blueprint model import FILE.gguf --name NAME');
    }
    expect((await refused(client.show({ model: 'nope' }))).status_code).toBe(404);
    // A name (or a field's) as long as a body may be is not answered back whole: an answer as large
    // as its request is held for as long as the client does not read it.
    const long = await raw('POST', '/api/chat', { model: 'x'.repeat(100_000), messages: [] });
    expect([long.status, long.text.length < 1000]).toEqual([404, true]);
    const key = await raw('POST', '/api/chat', {
      model: 'tiny-llama',
      messages: [],
      ['k'.repeat(100_000)]: 1,
    });
    expect([key.status, key.text.length < 1000]).toEqual([400, true]);
    const opt = await raw('POST', '/api/chat', {
      model: 'tiny-llama',
      messages: [],
      options: { ['o'.repeat(100_000)]: 1 },
    });
    expect([opt.status, opt.text.length < 1000]).toEqual([400, true]);
  });

  it('routes that change models say what to do here', async () => {
    for (const call of [
      () => client.pull({ model: 'llama3.2' }),
      () => client.delete({ model: 'tiny-llama' }),
      () => client.copy({ source: 'tiny-llama', destination: 'x' }),
      () => client.create({ model: 'x', from: 'tiny-llama' }),
    ]) {
      const e = await refused(call());
      expect(e.status_code).toBe(403);
      expect(e.error).toMatch(/blueprint model import FILE\.gguf --name NAME.*blueprint model rm NAME/);
    }
    // Embeddings are served (embed.test.ts), no longer refused naming the embeddings module.
    const old = await raw('POST', '/api/embeddings', { model: 'tiny-llama', prompt: 'x' });
    expect(old.status).toBe(200);
    expect(JSON.parse(old.text).embedding).toHaveLength(64);
  });

  it('a client that goes away mid-stream stops the generation and frees the slot', async () => {
    const before = engine.generated;
    const stream = await client.generate({
      model: 'tiny-llama',
      prompt: 'Go on for a while.',
      raw: true,
      stream: true,
      options: { num_predict: 200 },
    });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    stream.abort();
    expect(await until(() => kit.stats().running === 0 && kit.stats().queued === 0)).toBe(true);
    expect(engine.generated - before).toBeLessThan(50); // stopped within a few tokens of 200
    const r = await client.generate({
      model: 'tiny-llama',
      prompt: 'Hi',
      raw: true,
      options: { num_predict: 2 },
    });
    expect(r.done_reason).toBe('length');
    expect(logged.join('\n')).toMatch(
      /\/api\/generate: tiny-llama: the client left after \d+ tokens?; its generation stopped/,
    );
  });

  it("the token is refused in Ollama's error shape; / needs none", async () => {
    for (const token of [undefined, 'wrong-token-0123456789']) {
      const e = await refused(ollamaOnSocket(socket, token).list());
      expect(e.status_code).toBe(401);
      expect(e.error).toContain('`blueprint service token llm`');
      // How the Ollama client sends it, not the OpenAI client's apiKey (the kit's words elsewhere).
      expect(e.error).toContain("the ollama client's headers option");
      expect(e.error).not.toContain('apiKey');
    }
    const r = await raw('POST', '/api/chat', { model: 'tiny-llama', messages: [] }, null);
    expect(r.status).toBe(401);
    expect(Object.keys(JSON.parse(r.text))).toEqual(['error']);
  });
});
