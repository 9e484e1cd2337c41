/**
 * One generation held the llm service's generation slot for as long as it ran: a client asking for
 * a long answer (a large max_tokens, a json_schema whose grammar never lets the answer end before
 * it) kept every other client waiting in the queue, with no limit but the context. Now each
 * generation has a deadline (LLM_GENERATION_TIMEOUT_S, or a smaller `generation_timeout_s` in the
 * request); past it the generation stops between two tokens, the answer ends as a max_tokens one
 * does (finish_reason "length") with `timed_out: true` on its choice, and the slot is free.
 *
 * The bundle runs as its own process (as in the container) serving a copy of the tiny llama whose
 * GGUF says its trained context is 16,384 tokens, so that one answer can be long. The work is sized
 * from a measured rate (the same request for 200 tokens), not from a guess at this machine's speed,
 * and the next client is sent only once the long request is seen holding the slot (its first
 * streamed text, or /info's `generating`), not after a pause that assumes how fast it starts: on a
 * loaded machine the next one could otherwise arrive first and be served first, with no fault.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type Generation } from '../../modules/llm/server/engine.js';
import { bundleLlm, postJson } from '../helpers/served-llm.js';
import { type ServedProcess, spawnServed } from '../helpers/served-module.js';
import { openAiOnSocket } from '../llm/helpers.js';
import { tinyLlamaWithContext } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const CAP_S = 1;
const CONTEXT = 16_384;
/**
 * At least 200,000 characters before the grammar lets the answer close: with the tiny llama's
 * short pieces, only max_tokens (or the deadline) ends it.
 */
const ENDLESS = { type: 'array', minItems: 1000, items: { type: 'string', minLength: 200 } };
const endless = { type: 'json_schema' as const, json_schema: { name: 'endless', schema: ENDLESS } };
const hi = [{ role: 'user' as const, content: 'hi' }];

const dir = tempDir('llm-deadline-');
/** The tiny llama with `llama.context_length` (a uint32 after its key) set to CONTEXT. */
function longLlama(): { file: string; sha: string } {
  const folder = join(dir, 'models/long-llama');
  mkdirSync(folder, { recursive: true });
  const file = tinyLlamaWithContext(folder, CONTEXT);
  return { file, sha: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

let llm: ServedProcess;
let model: string;
let client: ReturnType<typeof openAiOnSocket>;
/**
 * max_tokens of the long answer: all the context holds, not a size from a measured pace. A pace
 * measured while the machine is busy (a 2-core CI machine at a load of 10 runs this 4-5 times
 * slower) and a load that falls mid-test would let a cut answer reach half of a measured size;
 * the whole context is 10-30 deadlines at this machine's pace (beforeAll checks at least 4).
 * Without a deadline it runs for minutes: the long tests' time limits allow for that.
 */
const longTokens = CONTEXT - 64;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `path` on the service's socket: the answer's JSON. */
function getJson(path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: llm.socket, method: 'GET', path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Resolves once /info says a generation holds the slot, while `ended` (the long request's answer)
 * has not come: nothing else runs in this service then, so it is the long one's and a client sent
 * now is queued behind it. However slowly the long one got there.
 */
async function holding(ended: () => boolean): Promise<void> {
  for (;;) {
    const info = await getJson('/info');
    if (typeof info.generating !== 'number') throw new Error('/info says nothing of `generating`');
    if (info.generating >= 1 && !ended()) return;
    if (ended()) throw new Error('the long request ended before /info showed it generating');
    await sleep(5);
  }
}

/**
 * A streamed POST: `content` resolves once an event with text in it came (the generation holds its
 * slot: the service sends nothing before its first text), `answer` at the end of the stream.
 */
function streamed(path: string, body: unknown) {
  const data = Buffer.from(JSON.stringify(body));
  let seen: () => void = () => undefined;
  const content = new Promise<void>((r) => (seen = r));
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath: llm.socket,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        let text = '';
        let got = false;
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (got) return;
          const events = text.split('\n\n').slice(0, -1);
          got = events.some(
            (e) => e !== 'data: [DONE]' && JSON.parse(e.slice(6)).choices?.[0]?.delta?.content,
          );
          if (got) seen();
        });
        res.on('end', () => {
          seen();
          resolve({ status: res.statusCode!, text });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
  return { content, answer };
}

beforeAll(async () => {
  const { file, sha } = longLlama();
  model = file;
  llm = await spawnServed(
    await bundleLlm(dir),
    {
      LLM_MODEL_DIR: join(dir, 'models'),
      LLM_MODEL: 'long-llama',
      LLM_FILES_ROOT: join(dir, 'models'),
      LLM_FILES: JSON.stringify({ 'long-llama/long-llama.gguf': sha }),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
      LLM_CONTEXT: String(CONTEXT),
      LLM_GENERATION_TIMEOUT_S: String(CAP_S),
    },
    join(dir, 'api.sock'),
  );
  client = openAiOnSocket(llm.socket);
  // The pace: tokens a second of the same request for 200 tokens, the faster of 2 (one cut at the
  // deadline on a busy machine still says how fast it went).
  let rate = 0;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const r = await client.chat.completions.create({
      model: 'long-llama',
      messages: hi,
      max_tokens: 200,
      response_format: endless,
    });
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    rate = Math.max(rate, r.usage!.completion_tokens / ((performance.now() - t) / 1000));
  }
  // Tokens slow down as the answer grows (attention, the grammar's stacks): 4 is a floor.
  if (rate * CAP_S * 4 > longTokens)
    throw new Error(
      `${Math.round(rate)} tokens a second: too fast for a context of ${CONTEXT} to hold 4 deadlines`,
    );
}, 120_000);
afterAll(() => llm?.kill());

/** The order in which things were answered. */
function recorder() {
  const order: string[] = [];
  const note =
    <T>(name: string) =>
    (v: T) => {
      order.push(name);
      return v;
    };
  return { order, note };
}

type TimedChoice = { finish_reason: string; timed_out?: boolean };

describe('a generation that would hold the slot for longer than LLM_GENERATION_TIMEOUT_S', () => {
  it('(whole answer, openai client) is cut at the deadline as "length" with timed_out, and the next client is served', async () => {
    const { order, note } = recorder();
    const long = client.chat.completions
      .create({ model: 'long-llama', messages: hi, max_tokens: longTokens, response_format: endless })
      .then(note('long'));
    let ended = false;
    const end = () => {
      ended = true;
    };
    long.then(end, end);
    // Queued behind it: sent once the service says the long one holds the slot.
    await holding(() => ended);
    const next = client.chat.completions
      .create({ model: 'long-llama', messages: hi, max_tokens: 2 })
      .then(note('next'));
    const [a, b] = await Promise.all([long, next]);
    // Before: the long answer ran to its max_tokens, every token of it, before `next` was served.
    expect(a.usage!.completion_tokens).toBeLessThan(longTokens / 2);
    expect(a.choices[0] as unknown as TimedChoice).toMatchObject({
      finish_reason: 'length',
      timed_out: true,
    });
    expect(a.choices[0]!.message.content!.startsWith('[')).toBe(true);
    expect(b.choices[0]!.finish_reason).toBe('length');
    expect((b.choices[0] as unknown as TimedChoice).timed_out).toBeUndefined();
    expect(order).toEqual(['long', 'next']);
    expect(llm.log()).toMatch(/generation stopped at its deadline \(1 s\) after \d+ tokens/);
  }, 300_000);

  it('(streamed) ends with a chunk whose finish_reason is "length" with timed_out, then [DONE]', async () => {
    const { order, note } = recorder();
    const stream = streamed('/v1/chat/completions', {
      messages: hi,
      max_tokens: longTokens,
      response_format: endless,
      stream: true,
      stream_options: { include_usage: true },
    });
    const long = stream.answer.then(note('long'));
    // Its first text came: it holds the slot, and a client sent now is queued behind it.
    await stream.content;
    const next = client.chat.completions
      .create({ model: 'long-llama', messages: hi, max_tokens: 2 })
      .then(note('next'));
    const [a] = await Promise.all([long, next]);
    expect(a.status).toBe(200);
    const events = a.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    const last = chunks.at(-2);
    expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: 'length', timed_out: true });
    expect(chunks.at(-1).usage.completion_tokens).toBeLessThan(longTokens / 2);
    expect(order).toEqual(['long', 'next']);
  }, 300_000);
});

describe('generation_timeout_s in a request', () => {
  it('a smaller one than the module cap ends that generation', async () => {
    const r = await client.chat.completions.create({
      model: 'long-llama',
      messages: hi,
      max_tokens: longTokens,
      response_format: endless,
      // @ts-expect-error: this service's own field, beside OpenAI's
      generation_timeout_s: 0.2,
    });
    expect(r.choices[0] as unknown as TimedChoice).toMatchObject({
      finish_reason: 'length',
      timed_out: true,
    });
    expect(r.usage!.completion_tokens).toBeLessThan(longTokens / 2);
  }, 300_000);

  it('on /v1/completions too (a plain prompt, the same grammar)', async () => {
    const r = await postJson(llm.socket, '/v1/completions', {
      prompt: 'hi',
      max_tokens: longTokens,
      response_format: endless,
      generation_timeout_s: 0.2,
    });
    expect(r.status).toBe(200);
    const answer = JSON.parse(r.text);
    expect(answer.choices[0]).toMatchObject({ finish_reason: 'length', timed_out: true });
    expect(answer.usage.completion_tokens).toBeLessThan(longTokens / 2);
  }, 300_000);

  it("on Ollama's /api/chat too: the done object says length and timed_out", async () => {
    const r = await postJson(llm.socket, '/api/chat', {
      model: 'long-llama',
      messages: hi,
      stream: false,
      format: ENDLESS,
      options: { num_predict: longTokens },
      generation_timeout_s: 0.2,
    });
    expect(r.status).toBe(200);
    const done = JSON.parse(r.text);
    expect(done).toMatchObject({ done: true, done_reason: 'length', timed_out: true });
    expect(done.eval_count).toBeLessThan(longTokens / 2);
  }, 300_000);

  it('one longer than the cap, or not a positive number, is a 400 naming it', async () => {
    for (const v of [CAP_S + 1, 0, -1, 'soon']) {
      const r = await postJson(llm.socket, '/v1/chat/completions', {
        messages: hi,
        max_tokens: 2,
        generation_timeout_s: v,
      });
      expect([v, r.status]).toEqual([v, 400]);
      expect(JSON.parse(r.text).error).toMatchObject({ param: 'generation_timeout_s' });
    }
  }, 60_000);
});

describe('the native work', () => {
  it('stops at the deadline: no token is generated after the answer came back', async () => {
    const engine = await Engine.load({
      modelPath: model,
      name: 'long-llama',
      device: 'cpu',
      deviceReason: 'test',
      contextSize: CONTEXT,
      parallel: 1,
      threads: 1,
    });
    try {
      // The deadline counts the grammar and the prompt: on a busy machine a short one can pass
      // before the first token, which would leave nothing to stop. Longer until some were made.
      let g: Generation | undefined;
      let perTokenMs = 0;
      for (let timeoutMs = 300; !g || g.completionTokens < 10; timeoutMs *= 2) {
        if (timeoutMs > 20_000) throw new Error(`${g?.completionTokens} tokens in 20 s`);
        let first = 0;
        g = await engine.chat(
          hi,
          { temperature: 1, stop: [], jsonSchema: ENDLESS, maxTokens: longTokens, timeoutMs },
          new AbortController().signal,
          () => {
            first ||= performance.now();
          },
        );
        expect(g).toMatchObject({ finishReason: 'length', timedOut: true });
        expect(g.completionTokens).toBeLessThan(longTokens / 2);
        perTokenMs = (performance.now() - first) / Math.max(1, g.completionTokens - 1);
      }
      // Had it gone on, 20 more tokens at the pace it had (at least 500 ms) would show.
      const after = engine.generated;
      await sleep(Math.max(500, 20 * perTokenMs));
      expect(engine.generated).toBe(after);
      // And the sequence is free for the next one at once.
      const next = await engine.chat(
        hi,
        { temperature: 0, stop: [], maxTokens: 2 },
        new AbortController().signal,
      );
      expect(next.completionTokens).toBeGreaterThan(0);
    } finally {
      await engine.dispose();
    }
  }, 300_000);
});
