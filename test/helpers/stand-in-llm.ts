/**
 * A stand-in llm module for tests of rag's chat against a misbehaving llm
 * (test/security/rag-llm-stream-no-event-end, rag-llm-whole-answer-bounds): a node:http server on a
 * unix socket in a temporary folder that reads each request whole and then lets `answer` write the
 * reply; started before the calling file's tests and closed after them (its open connections too,
 * so a stalled answer does not hold the file). Also the one chat those files ask, and a Rag whose
 * llm is the stand-in and whose retrieval finds nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ChatRequest } from '../../modules/rag/server/chat.js';
import type { Rag } from '../../modules/rag/server/rag.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

/** The stand-in for the calling file; `socket` is its path once the file's tests start. */
export function standInLlm(
  prefix: string,
  answer: (res: ServerResponse<IncomingMessage>) => void,
): { socket: string } {
  const llm = { socket: '' };
  let server: Server;
  beforeAll(async () => {
    llm.socket = join(tempDir(prefix), 'llm.sock');
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(llm.socket, r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return llm;
}

/** The one question those files ask, as rag's chat takes it; streamed or not. */
export function volcanoChat(stream: boolean): ChatRequest {
  const question = 'why do volcanoes erupt?';
  return {
    body: { messages: [{ role: 'user', content: question }] },
    messages: [{ role: 'user', content: question }],
    stream,
    query: question,
    k: 4,
    collection: 'default',
  };
}

/** A Rag whose llm is the module at `socket` (calls bounded by `timeoutMs`), retrieving nothing. */
export function ragOverLlm(socket: string, timeoutMs: number): Rag {
  const llm = new Upstream({ name: 'llm', socket, timeoutMs });
  return { llm, retrieve: async () => [] } as unknown as Rag;
}
