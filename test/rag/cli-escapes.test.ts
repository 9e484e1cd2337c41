import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { fakeRagModule, json } from './fake-rag-module.js';

// `blueprint rag` (the built executable) against hostile answers, with a small unix-socket HTTP
// server standing in for the rag module (fake-rag-module.ts): text with terminal escapes in
// everything the module says, a broken stream, refusals, and its --help and usage errors.

const ESC = '\x1b';
const fake = fakeRagModule('bp-rag-cli-out-');
const { root, seen, rag } = fake;

describe('blueprint rag: what the module says reaches the terminal escaped', () => {
  it("ingest: an earlier version's id, and the file's name, stay on the warning's line", async () => {
    const docs = join(tempDir('bp-rag-esc-docs-'), 'docs');
    mkdirSync(docs);
    const name = join(docs, 'a\nerror: forged by the name.md');
    writeFileSync(name, '# A\n');
    let sent = '';
    const doc = (id: string, source: string) => ({
      id,
      source,
      collection: 'default',
      sha256: 'f',
      chunks: 1,
    });
    fake.handler = (req, _b, res) => {
      // The collection's documents, listed after the first file indexed: one has its source.
      if (req.method === 'GET')
        return json(res, 200, { documents: [doc(`old\nerror: forged by rag ${ESC}[2K`, sent)] });
      sent = new URL(req.url!, 'http://x').searchParams.get('source')!;
      json(res, 201, { ...doc('id-new', sent), duplicate: false });
    };
    const r = await rag('ingest', name);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'an earlier version is still indexed as old\\x0aerror: forged by rag \\x1b[2K',
    );
    expect(r.stderr).toContain('a\\x0aerror: forged by the name.md: an earlier version');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([]);
    expect(r.stderr).not.toContain(ESC);
  });

  it('list: a hostile source name stays on its row, its escapes visible', async () => {
    fake.handler = (_q, _b, res) =>
      json(res, 200, {
        documents: [
          {
            id: 'd1',
            source: `evil${ESC}[2K\nfake row`,
            collection: 'default',
            sha256: 'a',
            chunks: 3,
            pages: 0,
            bytes: 2048,
            createdAt: '2026-11-29T00:00:00Z',
          },
        ],
      });
    const r = await rag('list');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('evil\\x1b[2K\\x0afake row');
    expect(lines[1]).toContain('2.0 KiB');
  });

  it('ask --stream: the answer as it streams, escaped, then the sources', async () => {
    fake.handler = (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (o: Record<string, unknown>) => res.write(`data: ${JSON.stringify(o)}\n\n`);
      chunk({
        choices: [{ index: 0, delta: { role: 'assistant', content: '' } }],
        sources: [{ document: 'd1', source: `guide${ESC}[31m.pdf`, page: 3, score: 0.91 }],
      });
      chunk({ choices: [{ index: 0, delta: { content: `Turn it ${ESC}[31moff` } }] });
      chunk({ choices: [{ index: 0, delta: { content: ' and on.' }, finish_reason: 'stop' }] });
      res.end('data: [DONE]\n\n');
    };
    const r = await rag('ask', 'how?', '--stream', '--k', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(seen.at(-1)!.body.toString())).toMatchObject({
      messages: [{ role: 'user', content: 'how?' }],
      stream: true,
      k: 3,
    });
    expect(r.stdout).toBe(
      'Turn it \\x1b[31moff and on.\n\nSources:\n  1. guide\\x1b[31m.pdf, page 3 [d1] (score 0.910)\n',
    );
    const j = await run(['--root', root, '--json', 'rag', 'ask', 'how?', '--stream']);
    expect(JSON.parse(j.stdout)).toEqual({
      answer: 'Turn it \u001b[31moff and on.',
      sources: [{ document: 'd1', source: 'guide\u001b[31m.pdf', page: 3, score: 0.91 }],
      finishReason: 'stop',
    });
    expect(j.stdout).not.toContain(ESC);
  });

  // The demo walk: `rag ask "reset" --collection nope` (a typo of a collection) answered with the
  // model's words alone and 'Sources: none (nothing indexed matched)', exit 0, nothing to say why.
  it('ask with no sources in a collection that holds no documents: says so and how to add some', async () => {
    fake.handler = (req, _b, res) => {
      if (req.url?.startsWith('/v1/documents')) return json(res, 200, { documents: [] });
      json(res, 200, {
        choices: [{ index: 0, message: { role: 'assistant', content: 'words' }, finish_reason: 'stop' }],
        sources: [],
      });
    };
    const r = await rag('ask', 'reset?', '--collection', 'nope');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Sources: none');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/documents?collection=nope' });
    expect(r.stderr).toContain('warning: The collection nope holds no documents');
    expect(r.stderr).toContain(`\`blueprint --root ${root} rag list\` shows the collections`);
    expect(r.stderr).toContain(`\`blueprint --root ${root} rag ingest PATH --collection nope\``);
    // Documents there, none near enough: no such note.
    fake.handler = (req, _b, res) => {
      if (req.url?.startsWith('/v1/documents'))
        return json(res, 200, {
          documents: [{ id: 'd1', source: 'a.md', collection: 'default', chunks: 1 }],
        });
      json(res, 200, {
        choices: [{ index: 0, message: { role: 'assistant', content: 'words' }, finish_reason: 'stop' }],
        sources: [],
      });
    };
    const some = await rag('ask', 'reset?');
    expect(some.code, some.stderr).toBe(0);
    expect(some.stderr).not.toContain('holds no documents');
  });

  // The demo walk: `rag list --collection nope` said 'No documents.' and no more, as for an empty
  // collection; nope is none at all (a typo of one). Now it says so, the collections there are, and
  // the commands, as ask does.
  it('list --collection with no documents: says no such collection holds any, names the ones there', async () => {
    fake.handler = (req, _b, res) => {
      if (req.url === '/v1/documents?collection=nope') return json(res, 200, { documents: [] });
      json(res, 200, {
        documents: [
          { id: 'd1', source: 'a.md', collection: 'default', chunks: 1 },
          { id: 'd2', source: 'b.md', collection: 'support', chunks: 1 },
        ],
      });
    };
    const r = await rag('list', '--collection', 'nope');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No documents.');
    expect(r.stderr).toContain(
      'warning: There is no collection nope (no document in it); the collections: default, support.',
    );
    expect(r.stderr).toContain(`\`blueprint --root ${root} rag ingest PATH --collection nope\``);
    expect(r.stderr).toContain(`\`blueprint --root ${root} rag list\` shows every collection's documents`);
    const j = await rag('list', '--collection', 'nope', '--json');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([]);
    // None at all: nothing indexed yet.
    fake.handler = (_req, _b, res) => json(res, 200, { documents: [] });
    const none = await rag('list', '--collection', 'nope');
    expect(none.stderr).toContain('warning: There is no collection nope (nothing is indexed yet)');
    expect(none.stderr).toContain(`\`blueprint --root ${root} rag ingest PATH --collection nope\``);
  });

  it('a stream that breaks its format is an error, not garbage on the screen', async () => {
    fake.handler = (_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices": [ nope\n\n');
    };
    const r = await rag('ask', 'how?', '--stream');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rag: answered a stream event in an unexpected shape');
  });

  // `rag ask "…" --max-tokens 200` on the demo box (the tiny llama's context is 256 tokens) said
  // 'error: rag: llm: the prompt (124 tokens) plus max_tokens (200) is more than this model's
  // context of 256 tokens' and no hint, and `--k 50` 'rag: 'k' must be a whole number from 1 to 32'
  // (the command takes 1 to 100) the same: the module's refusal of the question's options.
  it('ask refused by the module (400): what to change, by the options of the command', async () => {
    fake.handler = (_q, _b, res) =>
      json(res, 400, {
        error: {
          message:
            "llm: the prompt (124 tokens) plus max_tokens (200) is more than this model's context of 256 tokens",
        },
      });
    const r = await rag('ask', 'reset?', '--max-tokens', '200');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error: rag: llm: the prompt (124 tokens) plus max_tokens (200) is more than this model's context of 256 tokens",
    );
    expect(r.stderr).toContain(
      "hint: The model's context holds the question, the chunks found (--k) and the answer (--max-tokens): ask for fewer of either.",
    );
    fake.handler = (_q, _b, res) =>
      json(res, 400, { error: { message: "'k' must be a whole number from 1 to 16" } });
    // A module that takes fewer than the command does (32, what the catalog's rag takes).
    const k = await rag('ask', 'reset?', '--k', '20');
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('hint: Change the option it names; `blueprint rag ask --help` lists them.');
  });

  // rag list's help said '--collection C  The collection (default: the default collection)', but
  // without it the module lists every collection (store.list: no collection, no filter; seen on the
  // demo box: a document ingested with --collection other listed beside the default ones).
  it('list --help says what it lists without --collection: every collection, no collection asked', async () => {
    const h = await rag('list', '--help');
    expect(h.stdout).toMatch(/--collection C +Only this collection \(default: every collection\)/);
    expect((await rag('ingest', '--help')).stdout).toMatch(
      /--collection C +The collection \(default: the default collection\)/,
    );
    fake.handler = (_q, _b, res) => json(res, 200, { documents: [] });
    await rag('list');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/documents' });
  });

  it('--help for the group and every command', async () => {
    const group = await rag('--help');
    expect(group.code).toBe(0);
    for (const cmd of ['ingest', 'ask', 'list', 'remove']) {
      expect(group.stdout).toContain(`  ${cmd} `);
      const h = await rag(cmd, '--help');
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: blueprint rag ${cmd}`);
      expect(h.stdout).toContain('--service NAME');
    }
  });

  it('bad usage: no paths, a --k that is not a number', async () => {
    expect((await rag('ingest')).code).toBe(2);
    const k = await rag('ask', 'q', '--k', 'many');
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('--k needs a whole number');
  });
});
