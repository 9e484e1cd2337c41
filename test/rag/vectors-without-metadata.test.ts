/**
 * rag names itself in each vectors collection's metadata (8d84245e), which vectors serves since
 * cf3fce01. A vectors from before answers the create's `metadata` with its 400 'field "metadata" is
 * not supported by this server': rag passed that on as a 400 of the ingest, as if the admin's
 * request were wrong (RAG3's left item; both modules are 0.1.0, so rag's `uses` range cannot ask for
 * the newer one). Now a 503 that names the vectors module and its upgrade. A stand-in vectors on a
 * socket answers as the older one did.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VectorIndex } from '../../modules/rag/server/backends.js';
import { Upstream } from '../../modules/rag/server/upstream.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let socket: string;
/** The stand-in refuses metadata (an older vectors), or another field (a request still wrong). */
let refuse = 'metadata';

beforeAll(async () => {
  socket = join(tempDir('rag-vectors-old-'), 'vec.sock');
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') {
        res.writeHead(404);
        res.end(JSON.stringify({ status: { error: "Not found: Collection `x` doesn't exist!" } }));
        return;
      }
      res.writeHead(400);
      res.end(
        JSON.stringify({
          status: {
            error: `collection: field "${refuse}" is not supported by this server (supported: vectors, shard_number)`,
          },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
});

const index = () =>
  new VectorIndex(new Upstream({ name: 'vectors', socket, timeoutMs: 5_000 }), (c) => `rag-${c}`, 'rag');

describe('rag with a vectors older than collection metadata', () => {
  it('says to upgrade vectors (503), not that the request was wrong', async () => {
    refuse = 'metadata';
    const err = await index()
      .ensure('notes', 4, false)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });
    expect(String((err as Error).message)).toMatch(
      /vectors module .*collection metadata.*bpkg upgrade vectors/,
    );
  });

  it('passes any other refusal on as it was', async () => {
    refuse = 'hnsw_config';
    const err = await index()
      .ensure('notes', 4, false)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(String((err as Error).message)).toContain('hnsw_config');
  });
});
