/**
 * A chat's messages are rendered by the model's chat template (Jinja: the model package's
 * chat_template.jinja, or the GGUF's own), in JavaScript on the llm service's event loop. A model
 * is a package anyone can make (`blueprint model import` takes a GGUF from a stick), and its
 * template ran unbounded: one that loops held the event loop (/health, every client, SIGTERM) for
 * as long as it liked, on every chat and at start; one that repeats the messages made a text of any
 * size that was then tokenised on the event loop too. Now each rendering has a deadline (2 s on
 * a chat by default, LLM_TEMPLATE_RENDER_MS, 30 s for node-llama-cpp's checks at start) and its text a size bound (the prompt's bound
 * plus 16,384 characters of the template's own), a chat past either a 400 naming the template.
 *
 * The tiny llama with templates of the test's own (what chat_template.jinja would hold).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { postJson } from '../helpers/served-llm.js';
import { loadTinyLlama, serveEngine } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-chat-template-');
const socket = join(dir, 'api.sock');

/** `n` × 2,000 turns of an empty loop (4,000,000: ~0.3 s of the Jinja interpreter here). */
const spin = (n: number) => `{% for i in range(${n}) %}{% for j in range(2000) %}{% endfor %}{% endfor %}`;
/**
 * Loops for a chat of 9 messages or more, repeats each message 400 times for one of 7 or 8. node-llama-cpp renders
 * the template with stand-ins for the messages' text (so the text cannot steer it) and, at load,
 * with example chats of at most 5 messages.
 */
const TEMPLATE = [
  `{% if messages|length >= 9 %}${spin(40_000)}{% endif %}`,
  '{% for m in messages %}',
  '{% if messages|length >= 7 and messages|length < 9 %}{% for i in range(400) %}{{ m.content }}{% endfor %}{% endif %}',
  '{{ m.role }}: {{ m.content }}\n',
  '{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}',
].join('');

const load = (chatTemplate: string) => loadTinyLlama({ chatTemplate });

let engine: Engine;
let kit: KitServer;
beforeAll(async () => {
  engine = await load(TEMPLATE);
  kit = await serveEngine(engine, socket);
}, 60_000);
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

/** A chat of `n` messages (user, assistant, …, user), the last one `content`. */
const chat = (n: number, content = 'hello') =>
  postJson(socket, '/v1/chat/completions', {
    messages: Array.from({ length: n }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: i === n - 1 ? content : `message ${i}`,
    })),
    max_tokens: 2,
  });

describe("llm: a model's chat template is bounded", () => {
  it('a template that loops on a chat is stopped at its deadline: a 400 naming the template', async () => {
    const t0 = performance.now();
    const r = await chat(9);
    const ms = performance.now() - t0;
    console.log(`looping template: ${ms.toFixed(0)} ms, ${r.status} ${r.text.slice(0, 300)}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    expect(JSON.parse(r.text).error.message).toMatch(/chat template took more than 2000 ms/);
    // Before: the loop's whole run (413 s); now the first rendering past the deadline ends it.
    expect(ms).toBeLessThan(6_000);
    // The service goes on: the next chat is answered.
    expect((await chat(1)).status).toBe(200);
  }, 300_000);

  it('a template that repeats the messages is refused by the size of its text, before tokenising', async () => {
    const t0 = performance.now();
    const r = await chat(7, 'word '.repeat(700)); // 400 × 3,500 characters and more
    const ms = performance.now() - t0;
    console.log(`copying template: ${ms.toFixed(0)} ms, ${r.status} ${r.text.slice(0, 300)}`);
    expect(r.status).toBe(400);
    expect(ms).toBeLessThan(6_000);
    expect(JSON.parse(r.text).error.message).toMatch(
      /chat template made a prompt of \d+ characters from these messages; at most \d+/,
    );
  }, 300_000);

  it('a template that loops at start (node-llama-cpp renders examples) fails the load, naming it', async () => {
    const t0 = performance.now();
    await expect(load(`${spin(2_000)}{% for m in messages %}{{ m.content }}{% endfor %}`)).rejects.toThrow(
      /chat template took more than 30000 ms/,
    );
    // Before: 415 s (node-llama-cpp renders the template many times to learn its shape).
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 600_000);
});
