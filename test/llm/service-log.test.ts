/**
 * What `blueprint service logs llm` tells an operator about the requests (the service's log, as
 * the kit writes it): each answer's model, tokens and pace, each refusal and why, a client that
 * left mid-answer; never the prompt or the answer.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLog } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { openAiOnSocket } from './helpers.js';
import { servedForFile } from './served-tiny.js';

const socket = join(tempDir('llm-log-'), 'api.sock');
const TOKEN = 'llm-log-test-token-0123456789';
const SECRET = 'PURPLE-ELEPHANT-PROMPT';
const lines: string[] = [];
const text = () => lines.join('');
const log = createLog({ name: 'llm', write: (l) => lines.push(l) });
servedForFile(socket, undefined, { log, token: TOKEN });

describe('the llm service log', () => {
  const client = openAiOnSocket(socket, TOKEN);
  const ask = { model: 'tiny-llama', messages: [{ role: 'user' as const, content: `Say ${SECRET}.` }] };

  it('says each answer: model, prompt and generated tokens, time and tokens/s, how it ended', async () => {
    const r = await client.chat.completions.create({ ...ask, max_tokens: 8, temperature: 0 });
    expect(text()).toMatch(
      new RegExp(
        `/v1/chat/completions: tiny-llama answered: ${r.usage!.prompt_tokens} prompt tokens, 8 generated in \\d+\\.\\d+ s \\(\\d+(\\.\\d)? tokens/s\\), finish length`,
      ),
    );
    expect(text()).not.toContain(r.choices[0]!.message.content!.trim() || '\u0000');
  });

  it('says each refusal, its status, field and why', async () => {
    await expect(client.chat.completions.create({ ...ask, logprobs: true })).rejects.toMatchObject({
      status: 400,
    });
    expect(text()).toMatch(/refused 400 \/v1\/chat\/completions \(logprobs\): 'logprobs' is not supported/);
    const long = {
      model: 'tiny-llama',
      messages: [{ role: 'user' as const, content: `${SECRET} `.repeat(100) }],
    };
    log.flush();
    await expect(client.chat.completions.create(long)).rejects.toMatchObject({ status: 400 });
    expect(text()).toMatch(
      /refused 400 \/v1\/chat\/completions \(messages\): the prompt is \d+ tokens; this model's context is 256 tokens/,
    );
    await expect(openAiOnSocket(socket, 'wrong-token-0123456789').models.list()).rejects.toMatchObject({
      status: 401,
    });
    expect(text()).toMatch(/refused 401 \/v1\/models: missing or wrong access token/);
  });

  it('says a client that left mid-stream stopped its generation, after how many tokens', async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { ...ask, max_tokens: 200, stream: true },
      { signal: ac.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    ac.abort();
    for (let i = 0; i < 500 && !/client left/.test(text()); i++) await new Promise((r) => setTimeout(r, 10));
    // Two chunks were read: part of the answer had gone out, and the line says how much.
    const left =
      /\/v1\/chat\/completions: tiny-llama: the client left after (\d+) tokens; its generation stopped/.exec(
        text(),
      );
    expect(left, text()).not.toBeNull();
    expect(Number(left![1])).toBeGreaterThan(0);
    expect(Number(left![1])).toBeLessThan(200);
  });

  it('never holds the prompt', () => {
    log.flush();
    expect(text()).not.toContain(SECRET);
  });
});
