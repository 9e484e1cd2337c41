import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, InputTooLongError } from '../../modules/embeddings/server/engine.js';
import { createApiServer } from '../../modules/embeddings/server/http.js';
import { tempDir } from '../setup/temp-registry.js';
import { corpus, corpusJson, fuzzParams, summary, tally } from './support/budget.js';
import { health, sendRaw } from './support/http-client.js';
import { hostileText, mutatedJson } from './support/mutate.js';

/**
 * Target: the embeddings module's HTTP request handling (modules/embeddings/server/http.ts and
 * api.ts), in-process over a real unix socket, with an engine that answers at once (the model is
 * not what is fuzzed). Inputs: well-formed requests with random methods, paths, headers, framing
 * and JSON bodies (edits of valid ones), and raw byte edits of recorded requests (smuggling,
 * pipelining, 100-continue, chunked). Properties: a well-formed request always gets a 2xx or 4xx
 * answer; nothing ever gets a 5xx or makes the handler log one; /health answers after every run.
 */
const TOKEN = 'fuzz-token-0123456789';
const engine: Engine = {
  info: { model: 'fuzz', dimension: 4, maxTokens: 16, device: 'cpu', deviceReason: 'fuzz' },
  async embed(texts, opts) {
    texts.forEach((t, i) => {
      if (!opts.truncate && t.length > 64) throw new InputTooLongError(i, t.length, 64);
    });
    return { vectors: texts.map(() => new Float32Array([0.5, 0.5, 0.5, 0.5])), tokens: texts.map(() => 3) };
  },
  async dispose() {},
};

/**
 * The log the handler writes to. The module server kit logs a 5xx as an event keyed by its status
 * (and client errors and clients that left under their own keys); the server before the kit called
 * the plain function only for a 5xx. Both shapes are accepted so the target runs on either.
 */
const failures: string[] = [];
const log = Object.assign(
  (line: string): void => {
    failures.push(line);
  },
  {
    startup: () => undefined,
    event: (key: string, line: string) => {
      if (/^5\d\d\b/.test(key)) failures.push(line);
    },
    flush: () => undefined,
  },
);
const dir = tempDir('bp-fuzz-http-');
const sockets = { open: path.join(dir, 'open.sock'), locked: path.join(dir, 'locked.sock') };
const servers: ReturnType<typeof createApiServer>[] = [];
beforeAll(async () => {
  const opts = { maxBatch: 4, maxBodyBytes: 4096, maxQueue: 4, maxInputChars: 256, log };
  servers.push(createApiServer(engine, opts), createApiServer(engine, { ...opts, token: TOKEN }));
  await servers[0]!.listen(sockets.open);
  await servers[1]!.listen(sockets.locked);
});
afterAll(async () => {
  // The kit's own drain closes every connection and the listener.
  await Promise.all(servers.map((s) => s.drain(0)));
  console.log(summary('http'));
});

const bodySeeds = corpusJson('http-bodies');
const rawSeeds = corpus('http').map(([, b]) => b);

const header: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.constant(['Host', 'localhost'] as const),
  fc
    .constantFrom(
      `Bearer ${TOKEN}`,
      'Bearer wrong-token-0000000',
      `bearer   ${TOKEN}  `,
      'Basic eDp5',
      'Bearer',
      '',
    )
    .map((v) => ['Authorization', v] as const),
  fc
    .constantFrom('application/json', 'text/plain', 'application/json; charset=latin1')
    .map((v) => ['Content-Type', v] as const),
  fc.constant(['Expect', '100-continue'] as const),
  fc.constantFrom('close', 'keep-alive', 'Upgrade').map((v) => ['Connection', v] as const),
  fc.constantFrom('websocket', 'h2c').map((v) => ['Upgrade', v] as const),
  fc.tuple(fc.constantFrom('X-Fuzz', 'Accept', 'Accept-Encoding', 'Cookie'), fc.string({ maxLength: 30 })),
);

interface Shaped {
  method: string;
  target: string;
  headers: Array<readonly [string, string]>;
  body: string;
  framing: 'length' | 'chunked' | 'none';
  locked: boolean;
  /** HTTP/1.1 needs a Host header (Node answers 400 without one): left out now and then. */
  host: boolean;
}

const shaped: fc.Arbitrary<Shaped> = fc.record({
  // AUTO: the route's own method, so that most requests get past routing to the body.
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constant('AUTO') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'FOO'),
    },
  ),
  target: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom('/health', '/info', '/v1/embeddings', '/v1/embeddings', '/embed', '/embed'),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '/embed?x=1',
        '//embed',
        '/embed/',
        '/',
        '/%2e%2e/embed',
        '/v1/embeddings/../embed',
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('/\u00ff', '*', 'http://h/embed') },
    { weight: 1, arbitrary: fc.webPath() },
  ),
  headers: fc.array(header, { maxLength: 5 }),
  body: fc.oneof(
    { weight: 5, arbitrary: mutatedJson(bodySeeds).map((v) => JSON.stringify(v) ?? '') },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '1e999', '"x"', '{"input":[[1,2]]}') },
    { weight: 1, arbitrary: fc.constant(`{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`) },
  ),
  framing: fc.constantFrom('length' as const, 'chunked' as const, 'none' as const),
  locked: fc.boolean(),
  host: fc.oneof({ weight: 7, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

/** A request a conforming client could send: it must get a 2xx or 4xx answer. */
function encode(r: Shaped): { bytes: Buffer; wellFormed: boolean } {
  const body = Buffer.from(r.framing === 'none' ? '' : r.body);
  const method = r.method === 'AUTO' ? (/health|info/.test(r.target) ? 'GET' : 'POST') : r.method;
  const lines = [
    `${method} ${r.target} HTTP/1.1`,
    ...(r.host ? ['Host: localhost'] : []),
    ...r.headers.map(([k, v]) => `${k}: ${v}`),
  ];
  if (r.framing === 'length') lines.push(`Content-Length: ${body.length}`);
  if (r.framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const payload =
    r.framing === 'chunked'
      ? Buffer.concat([
          ...(body.length ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : []),
          Buffer.from('0\r\n\r\n'),
        ])
      : body;
  // CONNECT-like upgrades are the engine's business, not the API's: no answer is owed.
  const upgrade = r.headers.some(([k, v]) => k === 'Connection' && v === 'Upgrade');
  const wellFormed = r.target.startsWith('/') && !/[^\x21-\x7e]/.test(r.target) && !upgrade;
  return { bytes: Buffer.concat([head, payload]), wellFormed };
}

const rawEdits = fc.tuple(
  fc.constantFrom(...rawSeeds),
  fc.array(
    fc.record({
      at: fc.nat(),
      cut: fc.nat({ max: 6 }),
      insert: fc.oneof(
        hostileText,
        fc.constantFrom('\r\n', '\n', ' ', ':', '0\r\n\r\n', 'Content-Length: 9999\r\n'),
      ),
    }),
    { maxLength: 4 },
  ),
);

type Case =
  | { kind: 'shaped'; r: Shaped }
  | { kind: 'raw'; seed: Buffer; edits: Array<{ at: number; cut: number; insert: string }>; locked: boolean };

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 3, arbitrary: shaped.map((r): Case => ({ kind: 'shaped', r })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(rawEdits, fc.boolean())
      .map(([[seed, edits], locked]): Case => ({ kind: 'raw', seed, edits, locked })),
  },
);

async function checkHttp(c: Case): Promise<void> {
  let bytes: Buffer;
  let wellFormed = false;
  let head = false;
  if (c.kind === 'shaped') {
    ({ bytes, wellFormed } = encode(c.r));
    head = c.r.method === 'HEAD';
  } else {
    bytes = c.seed;
    for (const e of c.edits) {
      const at = e.at % (bytes.length + 1);
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(e.insert, 'latin1'),
        bytes.subarray(at + e.cut),
      ]);
    }
  }
  const socket = (c.kind === 'shaped' ? c.r.locked : c.locked) ? sockets.locked : sockets.open;
  const before = failures.length;
  const reply = await sendRaw(socket, bytes, wellFormed ? 3000 : 300, head);
  tally(reply.statuses.length ? `status ${reply.statuses[0]}` : reply.closed ? 'closed' : 'no answer');
  const problems: string[] = [];
  if (wellFormed && reply.statuses.length === 0) problems.push('a well-formed request got no answer');
  for (const s of reply.statuses)
    if (!((s >= 200 && s < 300) || (s >= 400 && s < 500))) problems.push(`status ${s}`);
  // Give a handler that is still reading a body the moment to fail, then look at its log.
  await new Promise((r) => setTimeout(r, 5));
  problems.push(...failures.slice(before).map((l) => `logged: ${l}`));
  expect(problems).toEqual([]);
  expect(await health(socket)).toBe(200);
}

describe('fuzz: embeddings HTTP API', () => {
  it('answers 2xx/4xx, never 5xx, and stays up', async () => {
    const examples = rawSeeds.map((seed): [Case] => [{ kind: 'raw', seed, edits: [], locked: false }]);
    await fc.assert(fc.asyncProperty(anyCase, checkHttp), fuzzParams(examples));
  });
});
