/**
 * `blueprint rag ingest DIR` says which file a slow wait is on ('NAME (SIZE): being indexed by rag;
 * a large document takes a while'). NAME is a file's name as the folder has it (a USB stick's, a
 * share's): everything else the ingest prints of it (its line, its failure) shows it on one line
 * (present/rag.ts ingestLine, escapeLine), but this note printed it through the notes' escapeText,
 * which keeps newlines: a file named 'x\nerror: …' printed an error: line of its own on stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { slowNotice } from '../../src/cli/context.js';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../helpers/pkg.js';

const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FORGED = 'error: secret.md: failed: the author of this file name wrote this line';
const root = tempDir('bp-rag-slow-');
let server: Server;

beforeAll(async () => {
  const socketDir = installedRag(root);
  // A module that takes its time over each document, as a large one takes the real one.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        const source = new URL(req.url!, 'http://x').searchParams.get('source')!;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'id-1', source, collection: 'c', sha256: 'f'.repeat(64), chunks: 1 }));
      }, 300),
    );
  });
  await new Promise<void>((r) => server.listen(join(socketDir, 'api.sock'), r));
});
afterAll(() => server?.close());

it("the slow note names the file on one line, escaped, whatever the file's name", async () => {
  const docs = join(tempDir('bp-rag-slow-docs-'), 'docs');
  mkdirSync(docs);
  writeFileSync(join(docs, `x\n${FORGED}\x1b]0;pwned\x07.md`), '# x\n');
  const was = slowNotice.afterMs;
  slowNotice.afterMs = 20;
  try {
    const r = await runCliHere(['--root', root, 'rag', 'ingest', docs]);
    expect(r.code, r.err).toBe(0);
    const lines = r.err.split('\n');
    expect(r.out + r.err).not.toMatch(RAW);
    expect(lines.filter((l) => l.startsWith(FORGED))).toEqual([]);
    const slow = lines.filter((l) => l.includes('being indexed by rag'));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(
      /^docs\/x\\x0aerror: secret\.md: .*\\x1b\]0;pwned\\x07\.md \(\d+ B\): being indexed/,
    );
  } finally {
    slowNotice.afterMs = was;
  }
});
