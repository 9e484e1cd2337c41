/**
 * REVIEW15, a guard on KIT3's 10e7e7f5 (found sound): a chat asked without stream now reads the llm's
 * answer through the kit's client (modules/kit/client/unix-http.ts), where node:http's readAll read it
 * before with no size bound. Against a stand-in llm on a unix socket:
 * - one that trickles its answer a byte at a time (each byte well inside any idle timeout) is cut at
 *   the llm call's timeout for the whole exchange: 503 "no answer within", not held while bytes come;
 * - one that answers 80 MiB is refused as nonsense (the client's 64 MiB body limit), not held whole.
 */
import { describe, expect, it } from 'vitest';
import { chat } from '../../modules/rag/server/chat.js';
import { ragOverLlm, standInLlm, volcanoChat } from '../helpers/stand-in-llm.js';

let mode: 'trickle' | 'huge' = 'trickle';
let answered = 0;

const llm = standInLlm('rag-whole-answer-', (res) => {
  answered = 0;
  if (mode === 'trickle') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
    const timer = setInterval(() => {
      answered++;
      if (!res.write(' ') || answered > 900) clearInterval(timer);
    }, 50);
    res.on('close', () => clearInterval(timer));
    return;
  }
  const size = 80 * 1024 * 1024;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': size });
  const piece = Buffer.alloc(1024 * 1024, ' ');
  const pump = () => {
    while (answered < size) {
      answered += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});

async function asked(timeoutMs: number): Promise<unknown> {
  const rag = ragOverLlm(llm.socket, timeoutMs);
  return chat(rag, volcanoChat(false), new AbortController().signal, 5_000).catch((err: unknown) => err);
}

describe("rag's whole-answer chats against a misbehaving llm", () => {
  it('an answer trickled a byte at a time is cut at the call timeout, for the whole exchange', async () => {
    mode = 'trickle';
    const started = performance.now();
    const err = (await asked(800)) as { status?: number; message?: string };
    const took = performance.now() - started;
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/no answer within/);
    expect(took).toBeLessThan(3_000);
    expect(answered).toBeGreaterThan(3); // bytes were coming all along
  });

  it('an 80 MiB answer is refused, not read whole', async () => {
    mode = 'huge';
    const err = (await asked(20_000)) as { status?: number; message?: string };
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/nonsense/);
  }, 30_000);
});
