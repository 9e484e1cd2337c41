import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, ingestOversized, startLoneRag } from './lone-rag.js';

// QA10's walk: `blueprint rag ingest` of a .pdf that is not one failed ("not a readable PDF"), and
// `blueprint service logs rag` said nothing of it: the log named each document ingested or deleted,
// none refused. A refused document (4xx) is a line now, with its source and why.

let rag: ServedProcess | undefined;
beforeAll(async () => {
  rag = await startLoneRag('bp-rag-refusedlog-');
}, 180_000);
afterAll(() => rag?.stop());

const logged = async (re: RegExp): Promise<string> => {
  for (let i = 0; i < 50 && !re.test(rag!.log()); i++) await new Promise((r) => setTimeout(r, 100));
  return rag!.log();
};

describe('rag: a document refused is in its log', () => {
  it('a PDF that is not one: its source, the status and the reason', async () => {
    const r = await ingest(rag!.socket, 'application/pdf', 'fake.pdf', 'hello, I am not a PDF\n');
    expect(r.status).toBe(400);
    expect(await logged(/refused/)).toMatch(
      /rag: refused "fake\.pdf": 400 not a PDF: it does not begin with %PDF-/,
    );
  });

  it('a file over the body limit: 413 logged with its source', async () => {
    const r = await ingestOversized(rag!.socket, 'text/plain', 'huge.txt', 33 * 1024 * 1024);
    expect(r.status).toBe(413);
    expect(await logged(/refused "huge\.txt"/)).toMatch(
      /refused "huge\.txt": 413 request body over 33554432 bytes/,
    );
    // The setting that raises it is named (the admin's `blueprint service config rag`).
    expect(rag!.log()).toContain(
      '413 request body over 33554432 bytes; the admin raises the limit with `blueprint service config rag RAG_MAX_BODY_BYTES=BYTES`',
    );
  });

  it('an unsupported type: 415 logged with its source', async () => {
    const r = await ingest(rag!.socket, 'application/msword', 'notes.doc', 'x');
    expect(r.status).toBe(415);
    expect(await logged(/refused "notes\.doc"/)).toMatch(
      /refused "notes\.doc": 415 unsupported Content-Type/,
    );
  });
});
