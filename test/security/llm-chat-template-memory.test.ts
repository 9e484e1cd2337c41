/**
 * A model's chat template (Jinja, anyone's: `blueprint model import` takes a GGUF from a stick) was
 * rendered on the llm service's own heap, under a deadline (2 s a chat) and a bound on its text,
 * but not on what it allocates meanwhile: a template that doubles a string and keeps every copy
 * took half a GiB in about a second, on every chat, and with a few chats at once the service's
 * memory limit (the container's cgroup: the OOM killer takes the model with it). Now each rendering
 * runs in a child process with a heap of its own (LLM_TEMPLATE_MEMORY_MB, 64 MiB by default): one
 * past it ends that process, the chat a 400 naming the template, and the service goes on.
 *
 * Before the fix the first chat below was answered (200) and the service's peak memory grew by
 * 1,024 MB (the template rendered twice). The second guards the way it is bounded: in a worker
 * thread with resourceLimits (tried first) one 800 MB array aborted the whole test process (V8's
 * fatal out-of-memory); before the fix it was stopped at the deadline, a 400 of the old wording.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitServer } from '../../modules/kit/server/index.js';
import type { Engine } from '../../modules/llm/server/engine.js';
import { postJson } from '../helpers/served-llm.js';
import { loadTinyLlama, serveEngine } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-chat-template-memory-');
const socket = join(dir, 'api.sock');

/**
 * For a chat of 11 to 14 messages (node-llama-cpp's example chats at load have at most 5): a
 * 16-character string doubled 24 times, each copy flattened (|upper) and kept: 512 MiB of strings.
 * For 17 or more: one array of 100 million (a single allocation of 800 MB: in a worker thread with
 * a heap limit, V8's fatal out-of-memory, which ends the whole process).
 */
const TEMPLATE = [
  '{% if messages|length >= 17 %}{% set r = range(100000000) %}{{ r|length }}{% endif %}',
  "{% if messages|length >= 11 and messages|length < 15 %}{% set ns = namespace(s='xxxxxxxxxxxxxxxx', keep=[]) %}",
  '{% for i in range(24) %}{% set ns.s = (ns.s ~ ns.s)|upper %}{% set ns.keep = ns.keep + [ns.s] %}{% endfor %}',
  '{{ ns.keep|length }}{% endif %}',
  '{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}',
].join('');

let engine: Engine;
let kit: KitServer;
beforeAll(async () => {
  engine = await loadTinyLlama({ chatTemplate: TEMPLATE });
  kit = await serveEngine(engine, socket);
}, 60_000);
afterAll(async () => {
  await kit?.drain(1000);
  await engine?.dispose();
});

const chat = (n: number) =>
  postJson(socket, '/v1/chat/completions', {
    messages: Array.from({ length: n }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `message ${i}`,
    })),
    max_tokens: 2,
  });

/** The process's peak resident memory so far, in MB (the worker's heap is in it too). */
const peakMb = () => process.resourceUsage().maxRSS / 1024;

describe("llm: a model's chat template's memory is bounded", () => {
  it('a template that allocates half a GiB within its deadline is stopped: a 400 naming the template', async () => {
    expect((await chat(1)).status).toBe(200);
    const before = peakMb();
    const r = await chat(11);
    const grew = peakMb() - before;
    console.log(`allocating template: peak +${grew.toFixed(0)} MB, ${r.status} ${r.text.slice(0, 300)}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    expect(JSON.parse(r.text).error.message).toMatch(
      /chat template took more than \d+ ms or more than 64 MiB/,
    );
    // The worker's heap (64 MiB, and its young generation) and its start, not the template's 512 MiB.
    expect(grew).toBeLessThan(200);
    // The service goes on, the template rendering again in a fresh worker.
    expect((await chat(1)).status).toBe(200);
    expect((await chat(3)).status).toBe(200);
  }, 120_000);

  it('one allocation far past the bound ends the renderer, not the service', async () => {
    const before = peakMb();
    const t0 = performance.now();
    const r = await chat(17);
    const grew = peakMb() - before;
    console.log(
      `one big array: ${(performance.now() - t0).toFixed(0)} ms, peak +${grew.toFixed(0)} MB, ${r.status}`,
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(
      /chat template took more than \d+ ms or more than 64 MiB/,
    );
    expect(grew).toBeLessThan(200);
    expect((await chat(1)).status).toBe(200);
  }, 120_000);
});
