import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, openBox } from '../../src/app/index.js';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * Ctrl-C during `blueprint rag ingest`, two files of five indexed and the third being sent: the
 * error said 'Interrupted' and 'Nothing was changed; run the command again.', while two documents
 * were in the index and the third was the module's to finish or drop. It says how far it got, and
 * that running it again passes over what is there. A small unix-socket server stands in for the
 * rag module (as in cli-errors.test.ts): it answers the first two files and holds the third.
 */
const root = tempDir('bp-rag-int-');
const docs = tempDir('bp-rag-int-docs-');
const seen: string[] = [];
let third: () => void;
const thirdArrived = new Promise<void>((r) => (third = r));
for (let i = 1; i <= 5; i++) writeFileSync(join(docs, `d${i}.txt`), `document ${i}\n`);

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', () => {
    // The documents listed after the first file indexed (an earlier version of it?): none.
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ documents: [] }));
    }
    const source = sourceOf(req);
    seen.push(source);
    if (seen.length === 3) return third(); // held: the file being sent at Ctrl-C
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `id-${seen.length}`,
        source,
        collection: 'default',
        chunks: 1,
        pages: 0,
        bytes: 11,
        createdAt: '2026-12-02T00:00:00.000Z',
        duplicate: false,
      }),
    );
  });
});

describe('rag ingest interrupted', () => {
  it('says how many files were indexed and that the file being sent is whole or absent, not that nothing changed', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const box = openBox(root, { signal: abort.signal });
    const run = box.rag.ingest([docs], { onFile: (r) => lines.push(`${r.name} ${r.status}`) });
    await thirdArrived;
    abort.abort();
    const err = await run.catch((e) => e);
    expect(lines).toHaveLength(2);
    expect(err).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect(err.message).toBe('Interrupted after 2 of 5 files: 2 indexed, 0 duplicates, 0 failed');
    expect(err.hint).not.toMatch(/Nothing was changed/);
    expect(err.hint).toMatch(/d3\.txt/);
    expect(err.hint).toMatch(/again/);
  });
});
