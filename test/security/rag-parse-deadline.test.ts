/**
 * Documents whose parse takes minutes against the rag module (its bundle as its own process; the
 * modules it uses absent: a document is parsed before any of them is asked). marked's lexer takes
 * ~110 s of CPU for 4 MB of Markdown nesting 2,000 lists (and more than linearly longer for more),
 * 200 KB of "*a" takes ~12 s, htmlparser2 ~14 s for 200,000 nested <div>. The parse worker is one:
 * every other ingest waited behind such a document, as long as it took. A parse now has a deadline
 * (RAG_PARSE_TIMEOUT_S), after which the worker is stopped and started again, the document a 413.
 * The documents here are larger than those figures, so that a faster machine is past the deadline
 * too. marked's recursion into 20,000 nested block quotes overflowed the worker's stack: a 500.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../modules/rag/package.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { spawnServer } from '../rag/server-harness.js';
import { tempDir } from '../setup/temp-registry.js';

function ingest(
  socket: string,
  type: string,
  name: string,
  body: string,
): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const data = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path: `/v1/documents?source=${name}`,
        headers: { 'content-type': type, 'content-length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            text: Buffer.concat(chunks).toString(),
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(data);
  });
}

let rag: ServedProcess;
beforeAll(async () => {
  const dir = tempDir('rag-deadline-');
  const file = join(dir, 'server.mjs');
  await bundleServer(file);
  const nowhere = join(dir, 'none.sock');
  rag = await spawnServer(
    file,
    {
      RAG_DATA_DIR: join(dir, 'data'),
      RAG_PARSE_TIMEOUT_S: '6',
      BLUEPRINT_USES_EMBEDDINGS_SOCKET: nowhere,
      BLUEPRINT_USES_VECTORS_SOCKET: nowhere,
      BLUEPRINT_USES_LLM_SOCKET: nowhere,
    },
    join(dir, 'api.sock'),
  );
}, 120_000);
afterAll(() => rag?.kill());

describe('a document that takes too long to parse is a 413 at the deadline, and the next is parsed', () => {
  it('Markdown nesting 3,000 lists (9 MB): 413 within seconds, not minutes', async () => {
    const md = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i * 2)}- x`).join('\n');
    const r = await ingest(rag.socket, 'text/markdown', 'lists.md', md);
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/RAG_PARSE_TIMEOUT_S/)]);
    expect(r.ms).toBeLessThan(15_000);
  }, 60_000);

  it('HTML nesting 400,000 <div>: 413 the same', async () => {
    const r = await ingest(rag.socket, 'text/html', 'deep.html', `${'<div>'.repeat(400_000)}x`);
    expect(r.status).toBe(413);
  }, 60_000);

  it('Markdown nesting 20,000 block quotes (40 KB): a 413 saying so, not a 500 stack overflow', async () => {
    const r = await ingest(rag.socket, 'text/markdown', 'quotes.md', `${'> '.repeat(20_000)}x`);
    expect([r.status, r.text]).toEqual([413, expect.stringMatching(/nested too deeply/)]);
  }, 60_000);

  it('then a plain document is parsed by the restarted worker (the missing embeddings module is the 503)', async () => {
    const r = await ingest(rag.socket, 'text/markdown', 'ok.md', '# Title\n\nSome text about things.\n');
    expect([r.status, r.text]).toEqual([503, expect.stringMatching(/embeddings module is unavailable/)]);
  }, 60_000);
});
