/**
 * What the llm service does with the sampling fields an OpenAI client sends, through the official
 * `openai` client on a unix socket, the tiny llama in process.
 */
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { sampling } from '../../modules/llm/server/request.js';
import { tempDir } from '../setup/temp-registry.js';
import { openAiOnSocket } from './helpers.js';
import { servedForFile } from './served-tiny.js';

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked field by field
type Json = any;

const socket = join(tempDir('llm-fields-'), 'api.sock');
servedForFile(socket);

describe('seed', () => {
  const ask = (seed?: number) =>
    openAiOnSocket(socket)
      .chat.completions.create({
        model: 'tiny-llama',
        messages: [{ role: 'user', content: 'Tell me a story.' }],
        temperature: 1,
        max_tokens: 16,
        ...(seed === undefined ? {} : { seed }),
      })
      .then((r) => r.choices[0]!.message.content);

  it('a sampled answer without a seed is drawn anew each time, as OpenAI and Ollama do', async () => {
    // node-llama-cpp's own default is the clock's second: every request within one second got the
    // same "random" answer (a regenerate, two users asking the same).
    const answers = new Set<string | null>();
    for (let i = 0; i < 4; i++) answers.add(await ask());
    expect(answers.size).toBeGreaterThan(1);
    // Each request is given its own seed (drawn from 0 to 2^32-1).
    const seeds = new Set(Array.from({ length: 8 }, () => sampling({}, 256, 60).seed));
    expect(seeds.has(undefined)).toBe(false);
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('the same seed gives the same answer', async () => {
    expect(await ask(42)).toBe(await ask(42));
  });
});

describe('fields this service does not serve', () => {
  const chat = { model: 'tiny-llama', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 };
  const post = (path: string, body: object) =>
    fetch(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: new Agent({ connect: { socketPath: socket } }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));

  it('are a 400 naming the field, never a silent answer that ignored it', async () => {
    for (const [field, value, says] of [
      // Tools are served (tools.test.ts); a call asked for with none declared is not.
      ['tool_choice', 'required', /declares none/],
      ['functions', [{ name: 'f', parameters: {} }], /send 'tools'/],
      // Served (penalties.test.ts), within OpenAI's range.
      ['frequency_penalty', 2.5, /-2 to 2/],
      ['presence_penalty', -3, /-2 to 2/],
      ['logprobs', true, /log-probabilities/],
      ['top_logprobs', 3, /log-probabilities/],
      ['logit_bias', { '50': 100 }, /token biases/],
      ['top_k', 5, /not a field/],
      ['foo', 1, /not a field/],
    ] as const) {
      const r = await post('/v1/chat/completions', { ...chat, [field]: value });
      expect(r.status, field).toBe(400);
      expect(r.body.error, field).toMatchObject({ type: 'invalid_request_error', param: field });
      expect(r.body.error.message, field).toMatch(says);
      expect(r.body.error.message, field).toContain(`'${field}'`);
    }
    // The official client shows the message as its error's.
    await expect(
      openAiOnSocket(socket).chat.completions.create({
        ...chat,
        messages: [{ role: 'user', content: 'Hi' }],
        logprobs: true,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'logprobs' });
    // Legacy completions: its own fields too.
    const echo = await post('/v1/completions', { prompt: 'Hi', max_tokens: 2, echo: true });
    expect(echo.status).toBe(400);
    expect(echo.body.error.param).toBe('echo');
    // A stream asked for as anything but a boolean was answered whole.
    const stream = await post('/v1/chat/completions', { ...chat, stream: 'yes' });
    expect(stream.status).toBe(400);
    expect(stream.body.error.param).toBe('stream');
  });

  it('are accepted at the value that asks for nothing, as clients send by default', async () => {
    const r = await post('/v1/chat/completions', {
      ...chat,
      frequency_penalty: 0,
      presence_penalty: 0,
      logprobs: false,
      logit_bias: {},
      tools: [],
      tool_choice: 'none',
      parallel_tool_calls: true,
      n: 1,
      top_p: 1,
      user: 'someone',
      stream: false,
      stream_options: null,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const legacy = await post('/v1/completions', {
      prompt: 'Hi',
      max_tokens: 2,
      echo: false,
      best_of: 1,
      logprobs: null,
    });
    expect(legacy.status, JSON.stringify(legacy.body)).toBe(200);
  });
});
