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
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_RENDER_MS, templateRendererIsReady } from '../../modules/llm/server/template-bound.js';
import { postJson } from '../helpers/served-llm.js';
import { servedForFile } from '../llm/served-tiny.js';
import { loadTinyLlama } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-chat-template-');

/** The template renderer's processes (template-child) this process started, by pid. */
function rendererProcesses(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('template-child'))
        pids.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `get` every millisecond until it gives a value (at most 20 s). */
async function waitFor<T>(get: () => T | undefined): Promise<T> {
  const end = performance.now() + 20_000;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error('the renderer did not start again');
    await sleep(1);
  }
}
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

servedForFile(socket, () => load(TEMPLATE));

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

  it("the chat after a looping one waits for the renderer's new process, however long its start takes", async () => {
    // The renderer that looped was ended and another starts: its start (a Node process, seconds on
    // the project's loaded CI) was counted in the next chat's deadline, and that chat was refused as
    // looping too. Here the new process is held stopped for longer than the deadline.
    const before = rendererProcesses();
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await chat(9)).status).toBe(400);
      const fresh = await waitFor(() => rendererProcesses().find((pid) => !before.includes(pid)));
      before.push(fresh);
      process.kill(fresh, 'SIGSTOP');
      // A process that said it was ready before it was stopped does not show what is tested here.
      await sleep(1_000);
      if (templateRendererIsReady()) {
        process.kill(fresh, 'SIGCONT');
        continue;
      }
      const t0 = performance.now();
      const next = chat(1);
      await sleep(TEMPLATE_RENDER_MS + 1_000);
      process.kill(fresh, 'SIGCONT');
      const r = await next;
      console.log(
        `chat after a looping one, its renderer stopped: ${(performance.now() - t0).toFixed(0)} ms, ${r.status}`,
      );
      expect(r.status, r.text).toBe(200);
      return;
    }
    throw new Error("the renderer's new process was ready before this test could stop it, 5 times");
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
