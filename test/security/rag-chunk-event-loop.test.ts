/**
 * A document of tiny paragraphs, as many as the parsers take (MAX_SECTIONS), against rag's event loop (the bundle as its own
 * process, lone-rag.ts, with an embeddings module that answers /info, so the document gets as far
 * as chunking; vectors is absent, so the ingest then ends in its 503).
 *
 * Parsing runs in the parse worker, but its sections came back to the main thread and were split
 * into chunks there: 1.3 million paragraphs ('a' and a blank line, 3.9 MiB of text) are 1.3 million
 * sections, ~9 s of chunking on a loaded machine (4 MiB of '<p>a' in HTML: 1 million, ~5 s),
 * during which /health, retrieval and every streamed answer waited. The worker now chunks too.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECTIONS } from '../../modules/rag/server/parse-result.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, startRagWithInfoOnlyEmbeddings } from '../rag/lone-rag.js';

/**
 * GET /health's time to answer, in ms (the kit answers it on the event loop). A connection reset
 * counts as its time until then: after the loop was held past the kit's 5 s head timeout, the
 * kit's sweep closed the waiting /health connection before reading its request.
 */
function health(socket: string): Promise<number> {
  const t = Date.now();
  return new Promise((resolve) => {
    request({ socketPath: socket, path: '/health' }, (res) => {
      res.resume();
      res.on('end', () => resolve(Date.now() - t));
    })
      .on('error', () => resolve(Date.now() - t))
      .end();
  });
}

let rag: ServedProcess;
let close = () => {};
beforeAll(async () => {
  ({ rag, close } = await startRagWithInfoOnlyEmbeddings('rag-chunk-loop-'));
}, 120_000);
afterAll(() => close());

describe("a document's chunking does not hold rag's event loop", () => {
  it('paragraphs to the section bound (750 KB of text): /health is answered within 2 s throughout the ingest', async () => {
    // 1.3 million before the parsers' section bound (parse-result.ts MAX_SECTIONS); now as many as it allows.
    const text = 'a\n\n'.repeat(MAX_SECTIONS);
    let done = false;
    const slowest = (async () => {
      let worst = 0;
      while (!done) {
        worst = Math.max(worst, await health(rag.socket));
        await new Promise((r) => setTimeout(r, 50));
      }
      return worst;
    })();
    const r = await ingest(rag.socket, 'text/plain', 'paragraphs.txt', text, 180_000);
    done = true;
    // Chunked (~1,000 chunks, under RAG_MAX_CHUNKS), then the absent vectors module's 503.
    expect([r.status, r.text]).toEqual([503, expect.stringMatching(/vectors module is unavailable/)]);
    expect(await slowest).toBeLessThan(2_000);
  }, 200_000);
});
