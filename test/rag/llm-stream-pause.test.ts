/**
 * rag's connections to the llm module (modules/rag/server/upstream.ts) against a stand-in llm on a
 * unix socket: a stream whose llm pauses between tokens longer than the connection's idle timeout
 * (a slow CPU, a long prompt's prefill) arrives whole, bounded only by rag's own stream limits; and
 * a connection left idle between chat turns is kept (up to just under the kit's keep-alive), so the
 * next turn does not pay a new one. Before (KIT2's "Left"), the agent dropped it after 2 s.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_IDLE_MS, KEEP_ALIVE_MS } from '../../modules/kit/server/keep-alive.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let socket: string;
let connections = 0;
/** The pause between the stand-in's two tokens. */
const PAUSE_MS = 2_600;

beforeAll(async () => {
  socket = join(tempDir('rag-llm-pause-'), 'llm.sock');
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"lava"}}]}\n\n');
      setTimeout(() => {
        res.write('data: {"choices":[{"delta":{"content":" flows"}}]}\n\n');
        res.end('data: [DONE]\n\n');
      }, PAUSE_MS);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function streamText(llm: Upstream): Promise<string> {
  const res = await llm.open('POST', '/v1/chat/completions', { stream: true, messages: [] });
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
  return text;
}

describe("rag's streams from the llm module", () => {
  it('keeps idle connections just under the kit server keep-alive, from one shared constant', () => {
    expect(KEEP_ALIVE_MS).toBe(60_000);
    expect(CLIENT_IDLE_MS).toBeLessThan(KEEP_ALIVE_MS);
    expect(CLIENT_IDLE_MS).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 5_000);
  });

  it('a stream that pauses between tokens longer than 2 s arrives whole, and the idle connection is kept for the next turn', async () => {
    const llm = new Upstream({ name: 'llm', socket, timeoutMs: 5_000 });
    connections = 0;
    const first = await streamText(llm);
    expect(first).toContain('" flows"');
    expect(first).toContain('data: [DONE]');
    // Idle between turns for longer than the former 2 s agent timeout.
    await new Promise((r) => setTimeout(r, 2_500));
    const second = await streamText(llm);
    expect(second).toContain('data: [DONE]');
    expect(connections).toBe(1);
  }, 20_000);
});
