import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, questions } from '../fixtures/rag/corpus.js';
import { installedRag } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';
import { http, type Proc, type Stack, spawnServer, startStack } from './server-harness.js';

// `blueprint rag` (the built executable) against the REAL rag server bundle as a process, on the
// real embeddings (GloVe), vectors and llm (tiny llama) bundles (test/rag/server-harness.ts), with
// the socket where the services layer puts it and the access token the admin set: what the CLI
// sends and shows. The same through the Podman sandboxes: test/rag/e2e.test.ts.

const root = tempDir('bp-rag-cli-real-');
const token = 'cli-token-0123456789abcdef';
let stack: Stack;
let rag: Proc;
const ids = new Map<string, string>();
const blueprint = (...args: string[]) => run(['--root', root, ...args]);

beforeAll(async () => {
  const socketDir = installedRag(root);
  const data = join(root, 'var/lib/blueprint/modules/rag');
  mkdirSync(join(data, 'db'), { recursive: true });
  writeFileSync(join(data, 'access-token'), `${token}\n`);
  stack = await startStack();
  rag = await spawnServer(
    stack.ragFile,
    { ...stack.wiring, RAG_DATA_DIR: join(data, 'db'), RAG_TOKEN_FILE: join(data, 'access-token') },
    join(socketDir, 'api.sock'),
  );
}, 300_000);

afterAll(async () => {
  await rag?.stop();
  await stack?.stop();
});

describe('blueprint rag against the rag server', () => {
  it('ingest DIR: every file below it (name order, by type), the token sent, a link out refused, a copy found', async () => {
    const docs = join(tempDir('bp-rag-cli-docs-'), 'docs');
    mkdirSync(join(docs, 'more'), { recursive: true });
    const files = await corpus();
    for (const [i, d] of files.entries())
      writeFileSync(join(docs, i < 2 ? d.source : `more/${d.source}`), d.bytes);
    writeFileSync(join(docs, 'more/copy-of-bread.md'), files[1]!.bytes);
    writeFileSync(join(docs, 'photo.jpg'), 'not sent');
    writeFileSync(join(root, 'outside.txt'), 'a secret outside the folder');
    symlinkSync(join(root, 'outside.txt'), join(docs, 'leak.txt'));

    const r = await blueprint('rag', 'ingest', docs);
    expect(r.code, r.stderr).toBe(1); // the refused link counts as a failure; the rest were sent
    expect(r.stderr).toContain(
      'error: docs/leak.txt: failed: docs/leak.txt is a link that leads out of the folder',
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'docs/bread.md',
      'docs/more/copy-of-bread.md',
      'docs/more/football.html',
      'docs/more/markets.txt',
      'docs/volcanoes.pdf',
      '4 indexed, 1 duplicate, 1 failed; 1 file of other types passed over (.jpg)', // photo.jpg
    ]);
    expect(lines[1]).toMatch(
      /^docs\/more\/copy-of-bread\.md: already indexed as \S+ \(same content as docs\/bread\.md\)$/,
    );
    expect(lines[4]).toMatch(/^docs\/volcanoes\.pdf: indexed as \S+ \(\d+ chunks?, 2 pages\)$/);

    // Without the token the server refuses: the CLI sent it.
    expect((await http(rag.socket, 'GET', '/v1/documents')).status).toBe(401);
    const list = await blueprint('--json', 'rag', 'list');
    expect(list.code, list.stderr).toBe(0);
    for (const d of JSON.parse(list.stdout) as { id: string; source: string }[]) ids.set(d.source, d.id);
    expect([...ids.keys()].sort()).toEqual([
      'docs/bread.md',
      'docs/more/football.html',
      'docs/more/markets.txt',
      'docs/volcanoes.pdf',
    ]);
    const table = await blueprint('rag', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+SOURCE\s+COLLECTION\s+CHUNKS\s+PAGES\s+SIZE\s+ADDED$/);
  }, 180_000);

  it('ask: the answer, then its sources with the PDF page', async () => {
    const r = await blueprint('rag', 'ask', questions[0]!.query, '--k', '1', '--max-tokens', '4');
    expect(r.code, r.stderr).toBe(0);
    const [answer, sources] = r.stdout.split('\n\nSources:\n');
    expect(answer!.length).toBeGreaterThan(0);
    expect(sources!.trim()).toMatch(
      new RegExp(
        `^1\\. docs/volcanoes\\.pdf, page 2 \\[${ids.get('docs/volcanoes.pdf')}\\] \\(score [\\d.]+\\)$`,
      ),
    );
  }, 120_000);

  it('ask --stream --json: one document with the streamed answer and the sources', async () => {
    const r = await blueprint(
      '--json',
      'rag',
      'ask',
      questions[2]!.query,
      '--stream',
      '--k',
      '2',
      '--max-tokens',
      '6',
    );
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { answer: string; sources: { source: string; document: string }[] };
    expect(a.answer.length).toBeGreaterThan(0);
    expect(a.sources[0]).toMatchObject({
      source: 'docs/more/football.html',
      document: ids.get('docs/more/football.html'),
    });
  }, 120_000);

  it("ask --source / --document: only that document's chunks (PrivateGPT's context_filter); none found is said", async () => {
    // A question on football, asked of the bread document: its chunks are the only context.
    const bySource = await blueprint(
      '--json',
      'rag',
      'ask',
      questions[2]!.query,
      '--source',
      'docs/bread.md',
      '--k',
      '2',
      '--max-tokens',
      '4',
    );
    expect(bySource.code, bySource.stderr).toBe(0);
    const a = JSON.parse(bySource.stdout) as { sources: { source: string }[] };
    expect(a.sources.length).toBeGreaterThan(0);
    expect(new Set(a.sources.map((s) => s.source))).toEqual(new Set(['docs/bread.md']));
    const id = ids.get('docs/more/football.html')!;
    // The start of its id, as `rag list` is copied short (git's and Docker's way with ids), when no
    // other id begins so (the module's ids are random: the shortest start that only it has, 8 at least).
    let start = 8;
    while ([...ids.values()].some((o) => o !== id && o.startsWith(id.slice(0, start)))) start++;
    const byDoc = await blueprint(
      '--json',
      'rag',
      'ask',
      questions[0]!.query,
      '--document',
      id.slice(0, start),
      '--k',
      '2',
      '--max-tokens',
      '4',
    );
    expect(byDoc.code, byDoc.stderr).toBe(0);
    expect(
      new Set(
        (JSON.parse(byDoc.stdout) as { sources: { document: string }[] }).sources.map((s) => s.document),
      ),
    ).toEqual(new Set([id]));
    const none = await blueprint(
      'rag',
      'ask',
      questions[0]!.query,
      '--source',
      'docs/nope.md',
      '--max-tokens',
      '4',
    );
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain('No document matched --source docs/nope.md');
    expect(none.stderr).toMatch(/`blueprint (--root \S+ )?rag list`/);
  }, 120_000);

  it('ingest of a changed file: the earlier version, still indexed under the same source, is named with how to remove it', async () => {
    // The same source (docs/bread.md), new content: a second document; the first still answers.
    const docs = join(tempDir('bp-rag-cli-docs2-'), 'docs');
    mkdirSync(docs);
    writeFileSync(
      join(docs, 'bread.md'),
      '# Bread\n\nThe new edition: rye sourdough proofs overnight in the fridge.\n',
    );
    const earlier = ids.get('docs/bread.md')!;
    const r = await blueprint('rag', 'ingest', docs);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^docs\/bread\.md: indexed as \S+ \(1 chunk\)$/m);
    expect(r.stderr).toContain(
      `warning: docs/bread.md: an earlier version is still indexed as ${earlier}, and answers may come from it too:`,
    );
    expect(r.stderr).toMatch(new RegExp(`\`blueprint (--root \\S+ )?rag remove ${earlier}\` removes it`));
    // Again: the new content is there already (a duplicate), nothing more to say of the old one.
    const json = await blueprint('--json', 'rag', 'ingest', docs);
    expect(JSON.parse(json.stdout).files[0]).toMatchObject({ status: 'duplicate' });
    expect(json.stderr).toBe('');
  }, 120_000);

  it('remove ID: gone from the list; a second time nothing to do (exit 0); by the start of its id too', async () => {
    const id = ids.get('docs/more/markets.txt')!;
    const r = await blueprint('rag', 'remove', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^removed ${id} \\(\\d+ chunks\\)\\n$`));
    const list = JSON.parse((await blueprint('--json', 'rag', 'list')).stdout) as { id: string }[];
    expect(list.map((d) => d.id)).not.toContain(id);
    // A second time: nothing to do, exit 0, as bpkg remove of a package not installed.
    const again = await blueprint('rag', 'remove', id);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`rag: no document ${id}, nothing to do\n`);
    // The start of an id that no other begins with, as `rag list` is copied short: that document
    // removed, said by its whole id.
    const listed = JSON.parse((await blueprint('--json', 'rag', 'list')).stdout) as { id: string }[];
    const pdf = ids.get('docs/volcanoes.pdf')!;
    let start = 8;
    while (listed.some((d) => d.id !== pdf && d.id.startsWith(pdf.slice(0, start)))) start++;
    const short = await blueprint('rag', 'remove', pdf.slice(0, start));
    expect(short.code, short.stderr).toBe(0);
    expect(short.stdout).toMatch(new RegExp(`^removed ${pdf} \\(\\d+ chunks\\)\\n$`));
    const after = JSON.parse((await blueprint('--json', 'rag', 'list')).stdout) as { id: string }[];
    expect(after.map((d) => d.id)).not.toContain(pdf);
  });
});
