/**
 * rag's relay of the llm module's stream (modules/rag/server/chat.ts relay), against a stand-in llm
 * on a unix socket (REVIEW15, attack on KIT3's 1747c405/10e7e7f5: the llm's streams stay on node:http
 * with no idle timeout of the agent during a stream, bounded by rag's own limits).
 *
 * - A stalled llm (head sent, then no byte, connection open) is cut at rag's stream idle deadline
 *   (RAG_LLM_TIMEOUT_MS between events): a guard, found sound.
 * - A client that leaves while the llm sends nothing (a long prompt's prefill, a stall) has the llm's
 *   connection closed at once (the request carries its signal), not at the llm's next byte: a guard.
 * - An llm that sends bytes but never ends an event (no blank line: a broken or hostile server) had
 *   rag keep every byte in one string, searching it from the start at each chunk, for as long as the
 *   llm sent: a rag container's memory (shared by every consumer) filled by one chat. Now an event
 *   longer than RELAY_EVENT_MAX ends the stream with an error and the llm's connection is closed.
 */
import { describe, expect, it } from 'vitest';
import { chat, RELAY_EVENT_MAX } from '../../modules/rag/server/chat.js';
import { ragOverLlm, standInLlm, volcanoChat } from '../helpers/stand-in-llm.js';

let mode: 'stall' | 'no-event-end' = 'stall';
/** When the stand-in saw its stream's connection close (performance.now()). */
let closedAt = 0;
/** Bytes the stand-in wrote on its last stream before rag closed it (or it ended). */
let written = 0;
let closedEarly = false;
/** What the stand-in sends at most: 64 MiB of one event that never ends. */
const FLOOD = 64 * 1024 * 1024;

const llm = standInLlm('rag-stream-event-', (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  written = 0;
  closedEarly = false;
  if (mode === 'stall') {
    res.on('close', () => {
      closedAt = performance.now();
    });
    return void res.flushHeaders(); // the head, then nothing
  }
  const piece = Buffer.alloc(64 * 1024, 'x');
  res.write('data: {"choices":[{"delta":{"content":"');
  const pump = () => {
    while (written < FLOOD) {
      written += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end('"}}]}\n\n');
  };
  res.on('close', () => {
    if (written < FLOOD) closedEarly = true;
  });
  pump();
});

async function relayed(
  idleMs: number,
  signal = new AbortController().signal,
): Promise<{ bytes: number; error?: Error }> {
  const reply = await chat(ragOverLlm(llm.socket, 5_000), volcanoChat(true), signal, idleMs);
  let bytes = 0;
  try {
    for await (const part of reply.stream!) bytes += Buffer.byteLength(part as string);
    return { bytes };
  } catch (err) {
    return { bytes, error: err as Error };
  }
}

describe("rag's relay of the llm's stream", () => {
  it('a stalled llm (head sent, then nothing) is cut at the stream idle deadline', async () => {
    mode = 'stall';
    const started = performance.now();
    const { error } = await relayed(400);
    expect(error?.message).toMatch(/the llm module sent nothing for 0.4 s/);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("a client that leaves while the llm is silent (a long prompt's prefill) has the llm's connection closed at once", async () => {
    mode = 'stall';
    closedAt = 0;
    const client = new AbortController();
    const relaying = relayed(4_000, client.signal);
    await new Promise((r) => setTimeout(r, 300));
    const left = performance.now();
    client.abort();
    const { error } = await relaying;
    expect(error).toBeDefined();
    // node:http's request carries the client's signal: its abort destroys the llm's response too.
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt - left).toBeLessThan(1_000);
  }, 10_000);

  it('an llm that never ends an event is cut once the event passes the limit, not buffered whole', async () => {
    mode = 'no-event-end';
    const { bytes, error } = await relayed(5_000);
    expect(error?.message).toMatch(/event longer than/);
    expect(bytes).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(closedEarly).toBe(true);
    // rag stopped reading soon after the limit (socket buffers aside), not at the 64 MiB end.
    expect(written).toBeLessThan(RELAY_EVENT_MAX + 8 * 1024 * 1024);
  }, 30_000);
});
