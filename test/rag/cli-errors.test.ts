import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { fakeRagModule, json } from './fake-rag-module.js';

// `blueprint rag` (the built executable) on its error paths, with a small unix-socket HTTP server
// standing in for the rag module (fake-rag-module.ts): not installed, not running, busy, one file of
// several refused, an unknown id. What the module says reaching the terminal: cli-escapes.test.ts.

const ESC = '\x1b';
const fake = fakeRagModule('bp-rag-cli-');
const { root, seen, rag } = fake;

describe('blueprint rag: when the module cannot answer', () => {
  it('not installed: exit 3, naming the install command', async () => {
    const none = tempDir('bp-rag-none-');
    const r = await run(['--root', none, 'rag', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('No installed module named rag');
    expect(r.stderr).toContain(`bpkg --root ${none} install`);
  });

  it('installed but not running: exit 1, saying how to start it', async () => {
    const r = await rag('ask', 'why?', '--service', 'rag-stopped');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rag-stopped is not running');
    expect(r.stderr).toContain(`hint: Start it: \`blueprint --root ${root} service start rag-stopped\``);
  });

  it('busy (503): exit 1 with its message, escaped, and what to check', async () => {
    fake.handler = (_q, _b, res) =>
      json(res, 503, { error: { message: `upstream embeddings unavailable${ESC}[2J`, type: 'unavailable' } });
    const r = await rag('list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rag: upstream embeddings unavailable\\x1b[2J');
    expect(r.stderr).not.toContain(ESC);
    expect(r.stderr).toContain(`blueprint --root ${root} service status`);
  });

  // The demo walk: llm stopped (service stop llm --force), rag ask said 'the llm module is
  // unavailable' with the hint 'Try again shortly', which never helps a stopped service.
  it('a module it uses unavailable (503): names the start of that module, a name as modules are named', async () => {
    fake.handler = (_q, _b, res) =>
      json(res, 503, {
        error: {
          message:
            'the llm module is unavailable (ENOENT on /run/blueprint/uses/llm/api.sock); check it with: blueprint service status llm',
          type: 'unavailable',
        },
      });
    const r = await rag('ask', 'why?');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`\`blueprint --root ${root} service start llm\``);
    expect(r.stderr).toContain(`blueprint --root ${root} service status`);
    expect(r.stderr).not.toContain('Try again shortly');
    // A name no module has (the text is the module's): no command made of it.
    fake.handler = (_q, _b, res) =>
      json(res, 503, { error: { message: 'the $(reboot) module is unavailable', type: 'unavailable' } });
    const odd = await rag('ask', 'why?');
    expect(odd.code).toBe(1);
    expect(odd.stderr).not.toContain('service start');
    expect(odd.stderr).toContain('Try again shortly');
  });

  it('remove of an unknown id: exit 0, nothing to do (as bpkg remove and model rm), --json changed false', async () => {
    fake.handler = (q, _b, res) =>
      q.method === 'GET'
        ? json(res, 200, { documents: [] })
        : json(res, 404, { error: { message: 'no document nope' } });
    const r = await rag('remove', 'nope');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('rag: no document nope, nothing to do\n');
    expect(r.stderr).toBe('');
    // (then the list, for ids that begin with it: tests below)
    expect(seen.at(-2)).toMatchObject({ method: 'DELETE', url: '/v1/documents/nope' });
    const j = await rag('--json', 'remove', 'nope');
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ id: 'nope', chunks: 0, deleted: false, changed: false });
  });

  // The id as the table's first column begins, copied short as git and Docker take ids: the real
  // module's router has no route for it and said 'rag: no route /v1/documents/ccdda47c; try GET
  // /info, POST /v1/retrieve, …' (seen on the demo box), its API, not the id unknown. Then the hint
  // named the whole id to paste (QA16); now a start of an id that no other id begins with is taken.
  const docs = [
    {
      id: 'ccdda47c-a68d-4b93-af82-064cee83d25d',
      source: 'docs/manual.md',
      collection: 'default',
      chunks: 3,
    },
    { id: 'c011c60c-1477-4f8e-93c7-b0cec17373a7', source: 'docs/m.html', collection: 'default', chunks: 1 },
    { id: 'c011c60c-ffff-4f8e-93c7-b0cec17373a7', source: 'docs/n.html', collection: 'default', chunks: 1 },
    { id: 'dd000000-0000-4000-8000-000000000000', source: 'other.md', collection: 'support', chunks: 1 },
    // Listed, then gone when its DELETE comes (removed meanwhile).
    { id: 'ee000000-0000-4000-8000-000000000000', source: 'gone.md', collection: 'default', chunks: 1 },
  ];
  const whole = new Set(docs.filter((d) => d.source !== 'gone.md').map((d) => d.id));
  /** The module: its list, and DELETE or chat of a whole id only (as the real one: 404 otherwise). */
  const moduleWithDocs = () => {
    fake.handler = (q, b, res) => {
      if (q.method === 'GET') return json(res, 200, { documents: docs });
      if (q.method === 'POST') {
        const asked = JSON.parse(b.toString()) as { filter?: { document?: string } };
        const d = docs.find((x) => x.id === asked.filter?.document);
        return json(res, 200, {
          choices: [{ message: { role: 'assistant', content: 'an answer' }, finish_reason: 'stop' }],
          sources: d ? [{ document: d.id, source: d.source, page: null, score: 0.5 }] : [],
        });
      }
      const id = decodeURIComponent(q.url!.slice('/v1/documents/'.length));
      return whole.has(id)
        ? json(res, 200, { id, deleted: true, chunks: docs.find((d) => d.id === id)!.chunks })
        : json(res, 404, { error: { message: `no route ${q.url}; try GET /info, POST /v1/retrieve` } });
    };
  };

  it('remove of a start of an id no other id begins with: that document removed, said by its whole id', async () => {
    moduleWithDocs();
    const one = await rag('remove', 'ccdda47c');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('removed ccdda47c-a68d-4b93-af82-064cee83d25d (3 chunks)\n');
    expect(seen.at(-1)).toMatchObject({
      method: 'DELETE',
      url: '/v1/documents/ccdda47c-a68d-4b93-af82-064cee83d25d',
    });
    // As git and Docker: case aside, and the whole id as before (one request).
    const upper = await rag('--json', 'remove', 'CCDDA');
    expect(JSON.parse(upper.stdout)).toMatchObject({
      id: 'ccdda47c-a68d-4b93-af82-064cee83d25d',
      deleted: true,
    });
    const n = seen.length;
    expect((await rag('remove', docs[3]!.id)).code).toBe(0);
    expect(seen.slice(n).map((x) => x.method)).toEqual(['DELETE']);
  });

  it('remove of a start two ids share: nothing removed, both named', async () => {
    moduleWithDocs();
    const n = seen.length;
    const two = await rag('remove', 'c011c60c');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(
      'error: rag: 2 documents have ids that begin c011c60c: c011c60c-1477-4f8e-93c7-b0cec17373a7 (docs/m.html), c011c60c-ffff-4f8e-93c7-b0cec17373a7 (docs/n.html)\n',
    );
    expect(two.stderr).toContain('hint: Give more of the id, enough that only one begins with it');
    expect(
      seen
        .slice(n)
        .filter((x) => x.method === 'DELETE')
        .map((x) => x.url),
    ).toEqual(['/v1/documents/c011c60c']);
    // No id is or begins with it, or the one it began removed meanwhile: nothing to do, exit 0.
    const none = await rag('remove', 'ffff');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('rag: no document ffff, nothing to do\n');
    const meanwhile = await rag('remove', 'ee00');
    expect(meanwhile.code, meanwhile.stderr).toBe(0);
    expect(meanwhile.stdout).toBe('rag: no document ee000000-0000-4000-8000-000000000000, nothing to do\n');
  });

  it('ask --document with the start of an id: asked of that whole id; two ids or none: said, nothing asked', async () => {
    moduleWithDocs();
    const r = await rag('--json', 'ask', 'why?', '--document', 'ccdda47c');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(seen.at(-1)!.body.toString()).filter).toEqual({
      document: 'ccdda47c-a68d-4b93-af82-064cee83d25d',
    });
    expect(JSON.parse(r.stdout).sources).toHaveLength(1);
    const n = seen.length;
    const two = await rag('ask', 'why?', '--document', 'c011');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('error: rag: 2 documents have ids that begin c011: ');
    const none = await rag('ask', 'why?', '--document', 'ffff');
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('error: rag: no document ffff\n');
    // A document of another collection than the one asked: its chunks would never be searched.
    const elsewhere = await rag('ask', 'why?', '--document', 'dd00');
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(
      'error: rag: document dd000000-0000-4000-8000-000000000000 (other.md) is in the collection support, not default\n',
    );
    expect(elsewhere.stderr).toContain('hint: Ask it with --collection support');
    expect(seen.slice(n).map((x) => x.method)).toEqual(['GET', 'GET', 'GET']);
    const there = await rag('--json', 'ask', 'why?', '--document', 'dd00', '--collection', 'support');
    expect(there.code, there.stderr).toBe(0);
    expect(JSON.parse(seen.at(-1)!.body.toString())).toMatchObject({
      collection: 'support',
      filter: { document: 'dd000000-0000-4000-8000-000000000000' },
    });
  });
});

// A 40 MB text on the demo box: 'failed: rag: request body over 33554432 bytes', hint 'Send a smaller
// file.'; a 67 MB one: 'is 70000000 bytes, more than the 67108864 sent at most'. Byte counts of
// eight digits, and no word of how small is small enough. Now the sizes are in MiB and the hint
// says the module's limit.
describe('blueprint rag ingest of a file too large', () => {
  it("says the sizes in MiB, and the hint names the module's limit", async () => {
    const dir = tempDir('bp-rag-large-');
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'x');
    truncateSync(big, 40_000_000);
    fake.handler = (_q, _b, res) =>
      json(res, 413, { error: { message: 'request body over 33554432 bytes' } });
    const r = await rag('ingest', big);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${big}: failed: rag: request body over 32 MiB`);
    expect(r.stderr).toContain('hint: Split it into files of at most 32 MiB (rag takes no larger ones).');
    const huge = join(dir, 'huge.txt');
    writeFileSync(huge, 'x');
    truncateSync(huge, 70_000_000);
    const h = await rag('ingest', huge);
    expect(h.code).toBe(1);
    expect(h.stderr).toContain(
      `error: ${huge}: failed: ${huge} is 67 MiB, more than the 64 MiB sent at most`,
    );
  });
});

describe('blueprint rag ingest: one failure does not stop the rest', () => {
  it('sends each file with its type and name, reports each, exits 1 when one failed', async () => {
    const docs = join(tempDir('bp-rag-docs-'), 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'a.md'), '# A\n');
    writeFileSync(join(docs, 'b.html'), '<p>b</p>');
    writeFileSync(join(docs, 'c.txt'), 'c');
    writeFileSync(join(docs, 'skip.png'), 'png');
    mkdirSync(join(root, 'var/lib/blueprint/modules/rag'), { recursive: true });
    writeFileSync(join(root, 'var/lib/blueprint/modules/rag/access-token'), 'tok-0123456789\n', {
      flag: 'w',
    });
    const doc = (id: string, source: string) => ({
      id,
      source,
      collection: 'c1',
      sha256: 'f'.repeat(64),
      chunks: 2,
      pages: 1,
    });
    fake.handler = (req, _b, res) => {
      // The collection's documents, listed once after the first file indexed (an earlier version?).
      if (req.method === 'GET') return json(res, 200, { documents: [doc('id-a', 'docs/a.md')] });
      const source = new URL(req.url!, 'http://x').searchParams.get('source')!;
      if (source.endsWith('b.html')) return json(res, 415, { error: { message: `not today${ESC}]0;x\x07` } });
      if (source.endsWith('c.txt')) return json(res, 200, { ...doc('id-a', 'docs/a.md'), duplicate: true });
      json(res, 201, { ...doc('id-new', source), duplicate: false });
    };
    const before = seen.length;
    const r = await rag('ingest', docs, '--collection', 'c1');
    expect(r.code, r.stderr).toBe(1);
    const sent = seen.slice(before);
    expect(sent.filter((s) => s.method === 'GET').map((s) => s.url)).toEqual(['/v1/documents?collection=c1']);
    expect(
      sent
        .filter((s) => s.method === 'POST')
        .map((s) => [s.method, s.url, s.type, s.auth, s.body.toString()]),
    ).toEqual([
      [
        'POST',
        '/v1/documents?source=docs%2Fa.md&collection=c1',
        'text/markdown',
        'Bearer tok-0123456789',
        '# A\n',
      ],
      [
        'POST',
        '/v1/documents?source=docs%2Fb.html&collection=c1',
        'text/html',
        'Bearer tok-0123456789',
        '<p>b</p>',
      ],
      ['POST', '/v1/documents?source=docs%2Fc.txt&collection=c1', 'text/plain', 'Bearer tok-0123456789', 'c'],
    ]);
    expect(r.stdout).toContain('docs/a.md: indexed as id-new (2 chunks, 1 page)');
    // id-a has docs/a.md's source and other content: an earlier version, named with its removal.
    expect(r.stderr).toContain('warning: docs/a.md: an earlier version is still indexed as id-a');
    expect(r.stdout).toContain('docs/c.txt: already indexed as id-a (same content as docs/a.md)');
    expect(r.stdout).toContain('1 indexed, 1 duplicate, 1 failed');
    expect(r.stderr).toContain('error: docs/b.html: failed: rag: not today\\x1b]0;x\\x07');
    expect(r.stdout + r.stderr).not.toContain(ESC);

    const j = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({
      ingested: 1,
      duplicates: 1,
      failed: 1,
      files: [
        { name: 'docs/a.md', status: 'ingested', document: { id: 'id-new' } },
        { name: 'docs/b.html', status: 'failed', error: { code: 'module-refused' } },
        { name: 'docs/c.txt', status: 'duplicate', document: { id: 'id-a' } },
      ],
    });
  });
});
