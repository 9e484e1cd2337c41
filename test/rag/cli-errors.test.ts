import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

// `blueprint rag` (the built executable) on its error paths and against hostile answers, with a
// small unix-socket HTTP server standing in for the rag module: not installed, not running, busy,
// one file of several refused, an unknown id, a broken stream, and text with terminal escapes in
// everything the module says. The happy paths run against the real rag server: test/rag/e2e.test.ts.

const ESC = '\x1b';
const root = tempDir('bp-rag-cli-');
const name = 'rag';
const socketDir = join(root, 'run/blueprint/services', name);
let server: Server;
let handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
const seen: { method: string; url: string; type?: string; auth?: string; body: Buffer }[] = [];

/** A registration as the services layer writes it at install: what `blueprint rag` needs to find the socket. */
function register(module: string) {
  const prefix = join(root, 'opt/blueprint', module, '0.1.0');
  mkdirSync(prefix, { recursive: true });
  const dir = join(root, 'var/lib/blueprint/services', module);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '0.1.0.json'),
    JSON.stringify({
      name: module,
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: { socket: { dir: '/run/rag', file: 'api.sock' }, network: 'loopback-socket' },
    }),
  );
}

const rag = (...args: string[]) => run(['--root', root, 'rag', ...args]);
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  register(name);
  register('rag-stopped'); // installed, nothing listening
  mkdirSync(socketDir, { recursive: true });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method!,
        url: req.url!,
        body,
        ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}),
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(join(socketDir, 'api.sock'), r));
});
afterAll(() => server?.close());

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
    handler = (_q, _b, res) =>
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
    handler = (_q, _b, res) =>
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
    handler = (_q, _b, res) =>
      json(res, 503, { error: { message: 'the $(reboot) module is unavailable', type: 'unavailable' } });
    const odd = await rag('ask', 'why?');
    expect(odd.code).toBe(1);
    expect(odd.stderr).not.toContain('service start');
    expect(odd.stderr).toContain('Try again shortly');
  });

  it('remove of an unknown id: exit 3, and where the ids are', async () => {
    handler = (_q, _b, res) => json(res, 404, { error: { message: 'no document nope' } });
    const r = await rag('remove', 'nope');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error: rag: no document nope');
    // It said no more: every error says what to do next (README).
    expect(r.stderr).toContain(
      `hint: \`blueprint --root ${root} rag list\` shows the documents and their ids`,
    );
    // (then the list, for ids that begin with it: test below)
    expect(seen.at(-2)).toMatchObject({ method: 'DELETE', url: '/v1/documents/nope' });
  });

  // The id as the table's first column begins, copied short as git and Docker take ids: the real
  // module's router has no route for it and said 'rag: no route /v1/documents/ccdda47c; try GET
  // /info, POST /v1/retrieve, …' (seen on the demo box), its API, not the id unknown.
  it('remove of a short id: no document, and the whole id it begins when one does', async () => {
    const docs = [
      { id: 'ccdda47c-a68d-4b93-af82-064cee83d25d', source: 'docs/manual.md', chunks: 1 },
      { id: 'c011c60c-1477-4f8e-93c7-b0cec17373a7', source: 'docs/m.html', chunks: 1 },
      { id: 'c011c60c-ffff-4f8e-93c7-b0cec17373a7', source: 'docs/n.html', chunks: 1 },
    ];
    handler = (q, _b, res) =>
      q.method === 'GET'
        ? json(res, 200, { documents: docs })
        : json(res, 404, { error: { message: `no route ${q.url}; try GET /info, POST /v1/retrieve` } });
    const one = await rag('remove', 'ccdda47c');
    expect(one.code).toBe(3);
    expect(one.stderr).toContain('error: rag: no document ccdda47c\n');
    expect(one.stderr).toContain(
      `hint: Ids are given whole: did you mean \`blueprint --root ${root} rag remove ccdda47c-a68d-4b93-af82-064cee83d25d\` (docs/manual.md)?`,
    );
    expect(one.stderr).not.toContain('no route');
    const two = await rag('remove', 'c011c60c');
    expect(two.code).toBe(3);
    expect(two.stderr).toContain(
      `hint: Ids are given whole: 2 documents have ids that begin c011c60c; \`blueprint --root ${root} rag list\` shows them.`,
    );
    const none = await rag('remove', 'ffff');
    expect(none.stderr).toContain('error: rag: no document ffff');
    expect(none.stderr).toContain(
      `hint: \`blueprint --root ${root} rag list\` shows the documents and their ids`,
    );
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
    handler = (_q, _b, res) => json(res, 413, { error: { message: 'request body over 33554432 bytes' } });
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
    handler = (req, _b, res) => {
      const source = new URL(req.url!, 'http://x').searchParams.get('source')!;
      if (source.endsWith('b.html')) return json(res, 415, { error: { message: `not today${ESC}]0;x\x07` } });
      if (source.endsWith('c.txt')) return json(res, 200, { ...doc('id-a', 'docs/a.md'), duplicate: true });
      json(res, 201, { ...doc('id-new', source), duplicate: false });
    };
    const before = seen.length;
    const r = await rag('ingest', docs, '--collection', 'c1');
    expect(r.code, r.stderr).toBe(1);
    const sent = seen.slice(before);
    expect(sent.map((s) => [s.method, s.url, s.type, s.auth, s.body.toString()])).toEqual([
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

describe('blueprint rag: what the module says reaches the terminal escaped', () => {
  it('list: a hostile source name stays on its row, its escapes visible', async () => {
    handler = (_q, _b, res) =>
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
    handler = (_q, _b, res) => {
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
    handler = (req, _b, res) => {
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
    handler = (req, _b, res) => {
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
    handler = (req, _b, res) => {
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
    handler = (_req, _b, res) => json(res, 200, { documents: [] });
    const none = await rag('list', '--collection', 'nope');
    expect(none.stderr).toContain('warning: There is no collection nope (nothing is indexed yet)');
    expect(none.stderr).toContain(`\`blueprint --root ${root} rag ingest PATH --collection nope\``);
  });

  it('a stream that breaks its format is an error, not garbage on the screen', async () => {
    handler = (_q, _b, res) => {
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
    handler = (_q, _b, res) =>
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
    handler = (_q, _b, res) =>
      json(res, 400, { error: { message: "'k' must be a whole number from 1 to 32" } });
    const k = await rag('ask', 'reset?', '--k', '50');
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
    handler = (_q, _b, res) => json(res, 200, { documents: [] });
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
