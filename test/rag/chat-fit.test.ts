/**
 * How rag fits the retrieved passages into the llm's context (modules/rag/server/chat.ts,
 * openAnswer) against a stand-in llm on a unix socket that counts a token per two characters and
 * refuses, as the llm module does, a prompt that leaves fewer tokens than max_tokens. The first
 * refusal teaches rag the model's context and the text's tokens per character, so the next prompt
 * sent is already the shrink step that fits: two requests for the first chat instead of one per
 * step, one for the chats after it, and the same passages as shrinking step by step would give.
 * A refusal without numbers still shrinks step by step.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  openAnswer,
  refusalNumbers,
  shrink,
  withContext,
} from '../../modules/rag/server/chat.js';
import type { RetrievedChunk } from '../../modules/rag/server/rag.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

const CONTEXT = 300;
let dir: string;
let server: Server;
let socket: string;
/** Prompt sizes (tokens) the stand-in was asked, in order. */
let asked: number[] = [];
let wording: (prompt: number, max: number) => string;

const tokensOf = (body: { messages: { content: string }[] }) =>
  3 + Math.ceil(body.messages.reduce((n, m) => n + m.content.length, 0) / 2);

beforeAll(async () => {
  dir = tempDir('rag-fit-');
  socket = join(dir, 'llm.sock');
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      const prompt = tokensOf(body);
      asked.push(prompt);
      const ok = prompt + body.max_tokens <= CONTEXT;
      const text = JSON.stringify(
        ok
          ? { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'ok' } }] }
          : {
              error: {
                message: wording(prompt, body.max_tokens),
                type: 'invalid_request_error',
                param: 'messages',
                code: 'context_length_exceeded',
              },
            },
      );
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  asked = [];
  wording = (p, m) =>
    `the prompt (${p} tokens) plus max_tokens (${m}) is more than this model's context of ${CONTEXT} tokens`;
});

const passage = (n: number): RetrievedChunk => ({
  document: `d${n}`,
  source: `d${n}.pdf`,
  page: n,
  heading: null,
  text: `passage ${n} `.repeat(30),
  score: 1 - n / 10,
});
const chunks = [passage(1), passage(2), passage(3)];
const request = (question: string): ChatRequest => ({
  body: { messages: [{ role: 'user', content: question }], max_tokens: 8, k: 3 },
  messages: [{ role: 'user', content: question }],
  stream: false,
  query: question,
  k: 3,
  collection: 'default',
});
/** What shrinking one step per refusal ends with (the exact answer). */
function stepByStep(question: string): RetrievedChunk[] {
  let used = chunks;
  for (;;) {
    const p = tokensOf({ messages: withContext(request(question).messages, used) as { content: string }[] });
    if (p + 8 <= CONTEXT) return used;
    used = shrink(used)!;
  }
}

async function ask(llm: Upstream, question: string) {
  const { res, used } = await openAnswer(llm, request(question), chunks, new AbortController().signal);
  res?.resume();
  return used;
}

describe('rag fits the passages into the llm’s context', () => {
  it('reads the numbers of the llm module’s and OpenAI’s refusals', () => {
    expect(refusalNumbers("the prompt is 276 tokens; this model's context is 256 tokens")).toEqual({
      promptTokens: 276,
      contextTokens: 256,
    });
    expect(
      refusalNumbers(
        "the prompt (300 tokens) plus max_tokens (8) is more than this model's context of 256 tokens",
      ),
    ).toEqual({ promptTokens: 300, contextTokens: 256 });
    expect(
      refusalNumbers(
        "This model's maximum context length is 4097 tokens. However, your messages resulted in 5000 tokens.",
      ),
    ).toEqual({ promptTokens: 5000, contextTokens: 4097 });
    expect(refusalNumbers('the context is too long')).toBeUndefined();
  });

  it('learns from the first refusal: the next request fits, and later chats fit at once', async () => {
    const llm = new Upstream({ name: 'llm', socket, timeoutMs: 5_000 });
    const exact = stepByStep('what is in passage one');
    expect(exact.length).toBe(1); // several steps: all three passages do not fit
    const first = await ask(llm, 'what is in passage one');
    expect(asked).toHaveLength(2);
    expect(asked[0]! + 8).toBeGreaterThan(CONTEXT);
    expect(asked[1]! + 8).toBeLessThanOrEqual(CONTEXT);
    expect(first).toEqual(exact);
    asked = [];
    expect(await ask(llm, 'and what is in passage two')).toEqual(stepByStep('and what is in passage two'));
    expect(asked).toHaveLength(1);
  });

  it('shrinks one step per refusal when the refusal carries no numbers', async () => {
    wording = () => 'the context is too long';
    const llm = new Upstream({ name: 'llm', socket, timeoutMs: 5_000 });
    const exact = stepByStep('what is in passage one');
    const used = await ask(llm, 'what is in passage one');
    expect(used).toEqual(exact);
    let steps = 0;
    for (
      let c: RetrievedChunk[] | undefined = chunks;
      c && c !== exact && JSON.stringify(c) !== JSON.stringify(exact);
      c = shrink(c)
    )
      steps++;
    expect(asked).toHaveLength(steps + 1);
    expect(asked.length).toBeGreaterThan(2);
  });
});
