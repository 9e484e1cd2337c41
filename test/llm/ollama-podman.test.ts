/**
 * Ollama's native API of the real llm module in its Podman sandbox, through the official `ollama`
 * npm client on the service's socket with its access token: list, show, ps, chat whole and
 * streamed, generate, a JSON schema, a model not served, a client that leaves mid-stream (the
 * module logs its generation stopped and serves the next at once), keep_alive 0 unloading the model
 * and the next request loading it again (`blueprint status` naming what is loaded), the token refused. The
 * in-process details (options, refusals, the engine's count of tokens at an abort) are
 * ollama.test.ts's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { llmModuleE2E } from '../helpers/llm-e2e.js';
import { F32, ollamaOnSocket, openAiOnSocket } from './helpers.js';

const name = `llm-ollama-${process.pid}`;
const e = llmModuleE2E('bp-llm-ollama-', name);
const socket = e.socket(name);
let token = '';

/** GET over the socket without a token: status and text. */
function plainGet(path: string): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: socket, method: 'GET', path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c;
      });
      res.on('end', () => done({ status: res.statusCode!, text }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function failure(
  call: () => Promise<unknown>,
): Promise<{ name: string; status_code: number; error: string }> {
  return (await call().then(
    () => ({ name: 'none', status_code: 0, error: '' }),
    (err: unknown) => err,
  )) as { name: string; status_code: number; error: string };
}

describe('llm module in Podman: the Ollama-native API with the official ollama client', () => {
  it('starts with an access token; GET / answers without it; list, show and ps describe the model', async () => {
    token = (await e.blueprint('service', 'token', name)).token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await e.blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    expect(await plainGet('/')).toEqual({ status: 200, text: 'Ollama is running' });
    const client = ollamaOnSocket(socket, token);
    const { models } = await client.list();
    expect(models.map((m) => m.name)).toEqual(['tiny-llama:latest']);
    // The GGUF's SHA-256 from its signed manifest, as the module verified it at start.
    expect(models[0]!.digest).toBe(createHash('sha256').update(readFileSync(F32)).digest('hex'));
    expect(models[0]!.details).toMatchObject({ format: 'gguf', family: 'llama', quantization_level: 'F32' });
    const shown = await client.show({ model: 'tiny-llama:latest' });
    expect(shown.model_info).toMatchObject({ 'general.architecture': 'llama' });
    expect(shown.parameters).toMatch(/num_ctx\s+256/);
    const ps = await client.ps();
    expect(ps.models[0]).toMatchObject({ name: 'tiny-llama:latest', size_vram: 0 });
  }, 240_000); // a start on a loaded 2-core CI machine

  it('chat whole and streamed, generate, and a JSON schema', async () => {
    const client = ollamaOnSocket(socket, token);
    const ask = {
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Hello there' }],
      options: { temperature: 0, num_predict: 8 },
    };
    const whole = await client.chat({ ...ask, stream: false });
    expect(whole).toMatchObject({ done: true, message: { role: 'assistant' } });
    expect(whole.eval_count).toBeGreaterThan(0);
    let text = '';
    for await (const part of await client.chat({ ...ask, stream: true })) text += part.message.content;
    expect(text).toBe(whole.message.content);
    const g = await client.generate({
      model: 'tiny-llama',
      prompt: 'Hello there',
      options: { temperature: 0, num_predict: 8 },
    });
    expect(g.response).toBe(whole.message.content); // the prompt as one user turn: the same chat
    const j = await client.chat({
      model: 'tiny-llama',
      messages: [{ role: 'user', content: 'Pick one.' }],
      format: { type: 'object', properties: { colour: { enum: ['red', 'green'] } }, required: ['colour'] },
      options: { seed: 1, num_predict: 32 },
    });
    expect(['red', 'green']).toContain(JSON.parse(j.message.content).colour);
  });

  it('a model not served is a 404 saying how one is added', async () => {
    const err = await failure(() =>
      ollamaOnSocket(socket, token).chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 404 });
    expect(err.error).toContain('blueprint model import FILE.gguf --name NAME');
  });

  it('a client that goes away mid-stream: the generation stops, the next request is served', async () => {
    const client = ollamaOnSocket(socket, token);
    const stream = await client.generate({
      model: 'tiny-llama',
      prompt: 'Go on',
      raw: true,
      stream: true,
      options: { num_predict: 200 },
    });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    stream.abort();
    const next = await client.generate({
      model: 'tiny-llama',
      prompt: 'Hi',
      raw: true,
      options: { num_predict: 2 },
    });
    expect(next.done_reason).toBe('length');
    const logs = JSON.stringify(await e.blueprint('service', 'logs', name));
    expect(logs).toMatch(
      /\/api\/generate: tiny-llama: the client left after \d+ tokens?; its generation stopped/,
    );
  });

  it('keep_alive 0 unloads the model after its answer (ps empty); the next request loads it again', async () => {
    const client = ollamaOnSocket(socket, token);
    const ask = {
      model: 'tiny-llama',
      prompt: 'Hi',
      raw: true,
      stream: false as const,
      options: { num_predict: 2 },
    };
    // `blueprint status` (through dist, text and --json) names what the llm has loaded, as ps does.
    const status = async () => {
      const text = await e.run(['status']);
      const json = (await e.blueprint('status')) as {
        services: { name: string; info: { loaded?: string } }[];
      };
      return [
        text.stdout.split('\n').find((l) => l.trimStart().startsWith('services:')),
        json.services.find((x) => x.name === name)?.info.loaded,
      ];
    };
    expect(await status()).toEqual([`  services: ${name} running (loaded tiny-llama)`, 'tiny-llama']);
    expect((await client.generate({ ...ask, keep_alive: 0 })).done).toBe(true);
    expect((await client.ps()).models).toEqual([]);
    expect(await status()).toEqual([`  services: ${name} running (loaded none)`, '']);
    const again = await client.generate(ask);
    expect(again.load_duration).toBeGreaterThan(0);
    const ps = await client.ps();
    expect(ps.models.map((m) => [m.name, String(m.expires_at)])).toEqual([
      ['tiny-llama:latest', '9999-12-31T23:59:59Z'],
    ]);
    const logs = JSON.stringify(await e.blueprint('service', 'logs', name));
    expect(logs).toContain('unloaded model tiny-llama (keep_alive 0)');
    expect(logs).toMatch(/loaded model tiny-llama in \d+ ms/);
  }, 120_000);

  it('embeddings from the loaded model: ollama.embed, ollama.embeddings and the openai client agree', async () => {
    const client = ollamaOnSocket(socket, token);
    const texts = ['Hello world', 'A different sentence about cats'];
    const r = await client.embed({ model: 'tiny-llama', input: texts });
    expect(r.embeddings.map((v) => [v.length, Math.round(Math.hypot(...v) * 1e5) / 1e5])).toEqual([
      [64, 1],
      [64, 1],
    ]);
    const old = await client.embeddings({ model: 'tiny-llama', prompt: texts[0]! });
    const n = Math.hypot(...old.embedding);
    expect(old.embedding.every((x, i) => Math.abs(x / n - r.embeddings[0]![i]!) < 1e-5)).toBe(true);
    const openai = openAiOnSocket(socket, token);
    const o = await openai.embeddings.create({ model: 'tiny-llama', input: texts, encoding_format: 'float' });
    for (const i of [0, 1])
      expect(o.data[i]!.embedding.every((x, j) => Math.abs(x - r.embeddings[i]![j]!) < 1e-5)).toBe(true);
    expect(o.usage.prompt_tokens).toBe(r.prompt_eval_count);
    const long = 'the quick brown fox '.repeat(100);
    const err = await failure(() => client.embed({ model: 'tiny-llama', input: long, truncate: false }));
    expect(err).toMatchObject({ name: 'ResponseError', status_code: 400 });
    expect(err.error).toMatch(/context for embeddings is 256 tokens/);
  });

  it("a wrong or missing token is refused in Ollama's error shape", async () => {
    for (const t of [undefined, `${token}x`]) {
      const err = await failure(() => ollamaOnSocket(socket, t).list());
      expect(err).toMatchObject({ name: 'ResponseError', status_code: 401 });
      expect(err.error).toContain('`blueprint service token'); // the command that sets it
    }
    await e.blueprint('service', 'stop', name);
  });
});
