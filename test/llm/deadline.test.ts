/**
 * The generation deadline's timer (modules/llm/server/deadline.ts), without a model.
 */
import { describe, expect, it } from 'vitest';
import { deadline } from '../../modules/llm/server/deadline.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deadline', () => {
  it('passes after its time, with the client still there', async () => {
    const t = performance.now();
    const d = deadline(20, new AbortController().signal);
    expect(d.passed()).toBe(false);
    // Its own abort, however late a busy machine fires it (no pause that assumes when).
    await new Promise((r) => d.signal.addEventListener('abort', r, { once: true }));
    expect(performance.now() - t).toBeGreaterThanOrEqual(15);
    expect([d.passed(), d.signal.aborted]).toEqual([true, true]);
  });

  // The pauses below need no speed: a timer due later fires after one due sooner, however late.
  it('a client that left is not a deadline that passed; its own reason is kept', async () => {
    const client = new AbortController();
    const d = deadline(20, client.signal);
    client.abort(new Error('gone'));
    await sleep(60);
    expect(d.passed()).toBe(false);
    expect((d.clientReason() as Error).message).toBe('gone');
  });

  it('LLM_GENERATION_TIMEOUT_S of 25 days or more does not pass at once (Node fires a longer timer after 1 ms)', async () => {
    const d = deadline(3_000_000 * 1000, new AbortController().signal);
    await sleep(50);
    expect(d.passed()).toBe(false);
    d.clear();
  });

  it('none: the client signal alone', () => {
    const client = new AbortController();
    const d = deadline(undefined, client.signal);
    expect(d.signal).toBe(client.signal);
    expect(d.passed()).toBe(false);
  });
});
