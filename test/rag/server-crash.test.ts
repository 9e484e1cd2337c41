/**
 * All-or-nothing per document across a crash: the rag bundle is killed with SIGKILL while it is
 * writing a large document's chunks to the real vectors service, then restarted on the same data
 * folder; the partial chunks must be gone from vectors and the document absent, while a document
 * committed before the crash keeps every chunk. Also the two delete cases recovery must finish.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breadMarkdown } from '../fixtures/rag/corpus.js';
import { tempDir } from '../setup/temp-registry.js';
import { http, type Proc, type Stack, startRag, startStack } from './server-harness.js';

let stack: Stack;
let dataDir: string;
const running: Proc[] = [];

async function count(collection: string, document?: string): Promise<number> {
  const r = await http(stack.vectors.socket, 'POST', `/collections/rag-${collection}/points/count`, {
    ...(document ? { filter: { must: [{ key: 'document', match: { value: document } }] } } : {}),
    exact: true,
  });
  return (r.json as { result?: { count: number } }).result?.count ?? 0;
}

/** ~2,000 chunks of distinct sentences (no two paragraphs alike). */
function bigDocument(): Buffer {
  const words = ['river', 'mountain', 'forest', 'valley', 'lake', 'meadow', 'glacier', 'canyon', 'island'];
  const paras: string[] = [];
  for (let i = 0; i < 2500; i++) {
    const s = Array.from({ length: 60 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ');
    paras.push(`Paragraph ${i}: ${s}.`);
  }
  return Buffer.from(paras.join('\n\n'));
}

async function start(env: Record<string, string> = {}): Promise<Proc> {
  const p = await startRag(stack, dataDir, env);
  running.push(p);
  return p;
}

async function waitForLog(p: Proc, re: RegExp, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(p.log())) {
    if (Date.now() > deadline) throw new Error(`no ${re} in the log: ${p.log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  stack = await startStack();
  dataDir = tempDir('rag-data-');
}, 300_000);

afterAll(async () => {
  for (const p of running) await p.kill();
  await stack?.stop();
}, 60_000);

describe('rag after kill -9', () => {
  it('leaves no half-indexed document when killed during an ingest', async () => {
    const rag = await start({ RAG_BATCH: '4' });
    const kept = await http(
      rag.socket,
      'POST',
      '/v1/documents?source=bread.md&collection=crash',
      breadMarkdown,
      {
        'content-type': 'text/markdown',
      },
    );
    expect(kept.status, kept.text).toBe(201);
    const keptDoc = kept.json as { id: string; chunks: number };
    const before = await count('crash');
    expect(before).toBe(keptDoc.chunks);

    const upload = http(rag.socket, 'POST', '/v1/documents?source=big.txt&collection=crash', bigDocument(), {
      'content-type': 'text/plain',
    }).catch(() => undefined); // the connection dies with the process
    // Kill it once some of the big document's chunks are in vectors, but well before all are.
    const deadline = Date.now() + 60_000;
    while ((await count('crash')) < before + 40) {
      if (Date.now() > deadline) throw new Error('the ingest never reached vectors');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Meanwhile retrieval shows none of the document being ingested, though its chunks are in vectors.
    const seen = await http(rag.socket, 'POST', '/v1/retrieve', {
      query: 'river mountain forest valley lake',
      k: 20,
      collection: 'crash',
    });
    expect(seen.status, seen.text).toBe(200);
    expect((seen.json as { chunks: { source: string }[] }).chunks.map((c) => c.source)).not.toContain(
      'big.txt',
    );
    await rag.kill();
    await upload;
    const partial = (await count('crash')) - before;
    expect(partial).toBeGreaterThan(0); // a half-indexed document really was in vectors…
    expect(readdirSync(join(dataDir, 'pending'))).toHaveLength(1); // …with its marker

    const again = await start();
    await waitForLog(again, /recovery: 1 unfinished document operations cleaned up/);
    expect(await count('crash')).toBe(before); // only the committed document's chunks
    expect(await count('crash', keptDoc.id)).toBe(keptDoc.chunks);
    const list = (await http(again.socket, 'GET', '/v1/documents?collection=crash')).json as {
      documents: { source: string }[];
    };
    expect(list.documents.map((d) => d.source)).toEqual(['bread.md']);
    expect(readdirSync(join(dataDir, 'pending'))).toHaveLength(0);
    await again.stop();
  }, 180_000);

  it('rolls an ingest back at once when its client leaves', async () => {
    const rag = await start({ RAG_BATCH: '4' });
    const before = await count('crash');
    const req = request({
      socketPath: rag.socket,
      method: 'POST',
      path: '/v1/documents?source=left.txt&collection=crash',
      headers: { 'content-type': 'text/plain' },
    });
    req.on('error', () => undefined);
    req.end(bigDocument());
    const deadline = Date.now() + 60_000;
    while ((await count('crash')) < before + 40) {
      if (Date.now() > deadline) throw new Error('the ingest never reached vectors');
      await new Promise((r) => setTimeout(r, 5));
    }
    req.destroy();
    await waitForLog(rag, /rolled back document/);
    expect(await count('crash')).toBe(before);
    expect(readdirSync(join(dataDir, 'pending'))).toHaveLength(0);
    const list = (await http(rag.socket, 'GET', '/v1/documents?collection=crash')).json as {
      documents: { source: string }[];
    };
    expect(list.documents.map((d) => d.source)).not.toContain('left.txt');
    await rag.stop();
  }, 120_000);

  it('finishes a delete whose record was removed, and keeps a document whose delete never committed', async () => {
    const rag = await start();
    const a = (
      await http(rag.socket, 'POST', '/v1/documents', {
        source: 'a.txt',
        text: 'Lava and ash.',
        collection: 'del',
      })
    ).json as { id: string };
    const b = (
      await http(rag.socket, 'POST', '/v1/documents', {
        source: 'b.txt',
        text: 'Flour and yeast.',
        collection: 'del',
      })
    ).json as { id: string };
    await rag.stop();
    expect(await count('del', a.id)).toBe(1);
    // Crash states of a delete: a's record removed (its commit) but its chunks not yet; b's marker
    // written but its record still there (the delete never committed).
    const docs = JSON.parse(readFileSync(join(dataDir, 'documents.json'), 'utf8')) as {
      documents: { id: string }[];
    };
    writeFileSync(
      join(dataDir, 'documents.json'),
      JSON.stringify({ documents: docs.documents.filter((d) => d.id !== a.id) }),
    );
    for (const id of [a.id, b.id])
      writeFileSync(
        join(dataDir, 'pending', `${id}.json`),
        JSON.stringify({ id, op: 'delete', collection: 'del' }),
      );

    const again = await start();
    await waitForLog(again, /recovery: 1 unfinished document operations cleaned up/);
    expect(await count('del', a.id)).toBe(0);
    expect(await count('del', b.id)).toBe(1);
    expect((await http(again.socket, 'GET', `/v1/documents/${b.id}`)).status).toBe(200);
    expect(existsSync(join(dataDir, 'pending', `${b.id}.json`))).toBe(false);
    await again.stop();
  }, 120_000);
});
