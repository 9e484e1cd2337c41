/**
 * The generation deadline (LLM_GENERATION_TIMEOUT_S, a request's generation_timeout_s) bounds how
 * long one request holds the generation slot, everyone else queued behind it. node-llama-cpp looks
 * at the abort signal only between generated tokens: the prompt's evaluation (the whole context's
 * worth of tokens, one native call per batch) ran to its end past the deadline, so a long prompt
 * held the slot for as long as its evaluation took (minutes for a 7B model on a CPU at 32k tokens).
 * Now the prompt is evaluated in slices and the deadline is looked at between them: past it the
 * answer ends as the generation deadline's does (`length`, timed out, no text).
 *
 * The tiny llama with `llama.context_length` set to 16,384 tokens, asked with a prompt of ~7,000
 * tokens: its evaluation takes measurably long on this machine (attention over the whole prompt,
 * 4.6-5.7 s of wall time and 1.8 s of CPU here at load 3), far longer than a deadline of 50 ms. On a
 * machine some times faster it may take under 500 ms, so the deadline is a tenth of the whole
 * evaluation where that is less than 50 ms (before: the whole was asserted to take over 500 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../modules/llm/server/engine.js';
import { loadTinyLlama, tinyLlamaWithContext } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const CONTEXT = 16_384;
const dir = tempDir('llm-prompt-deadline-');

/** `n` words (~1.4 tokens each), the first its own so that no run reuses another's cache. */
function prompt(first: string, n: number): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'it', 'was', 'good'];
  return `${first} ${Array.from({ length: n - 1 }, (_, i) => words[(i * 7) % words.length]).join(' ')}`;
}

let engine: Engine;
beforeAll(async () => {
  engine = await loadTinyLlama({
    modelPath: tinyLlamaWithContext(dir, CONTEXT),
    name: 'long-llama',
    contextSize: CONTEXT,
  });
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
});

const greedy = { temperature: 0, stop: [], maxTokens: 1 };
const never = new AbortController().signal;

describe("llm: the generation deadline stops the prompt's evaluation", () => {
  for (const kind of ['chat', 'complete'] as const) {
    it(`${kind}: a long prompt past a 50 ms deadline (or a tenth of its evaluation) frees the slot long before its evaluation would end`, async () => {
      const ask = (first: string, timeoutMs: number) =>
        kind === 'chat'
          ? engine.chat([{ role: 'user', content: prompt(first, 5_000) }], { ...greedy, timeoutMs }, never)
          : engine.complete(prompt(first, 5_000), { ...greedy, timeoutMs }, never);
      // The whole evaluation, for scale (another first word: nothing of it is in the cache).
      // CPU as well as wall time: llama.cpp evaluates on this process's threads, and the two asks'
      // CPU is comparable whatever the load does between them (their wall times are not).
      const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
      let t0 = performance.now();
      let c0 = process.cpuUsage();
      const whole = await ask(`${kind}alpha`, 600_000);
      const wholeMs = performance.now() - t0;
      const wholeCpu = cpuMs(process.cpuUsage(c0));
      expect(whole.timedOut).toBe(false);
      expect(whole.promptTokens).toBeGreaterThan(6_000);
      // 50 ms, or less where the whole evaluation is under 500 ms (a fast machine): still a tenth of it.
      const deadlineMs = Math.max(1, Math.min(50, Math.floor(wholeMs / 10)));

      t0 = performance.now();
      c0 = process.cpuUsage();
      const cut = await ask(`${kind}bravo`, deadlineMs);
      const cutMs = performance.now() - t0;
      const cutCpu = cpuMs(process.cpuUsage(c0));
      console.log(
        `${kind}: whole prompt ${wholeMs.toFixed(0)} ms (CPU ${wholeCpu.toFixed(0)}); with a ${deadlineMs} ms deadline ${cutMs.toFixed(0)} ms (CPU ${cutCpu.toFixed(0)})`,
      );
      expect(cut).toMatchObject({ timedOut: true, finishReason: 'length', text: '', completionTokens: 0 });
      expect(cutCpu).toBeLessThan(wholeCpu / 3);

      // The slot is free and the sequence usable: the next request is answered whole.
      const next = await (kind === 'chat'
        ? engine.chat(
            [{ role: 'user', content: 'hello' }],
            { ...greedy, maxTokens: 4, timeoutMs: 600_000 },
            never,
          )
        : engine.complete('hello', { ...greedy, maxTokens: 4, timeoutMs: 600_000 }, never));
      expect(next.timedOut).toBe(false);
      expect(next.completionTokens).toBeGreaterThan(0);
    }, 300_000);
  }
});
