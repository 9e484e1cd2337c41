/**
 * REVIEW16, attack on PERF10's fe87c169 (the kit's request reader without per-request literals:
 * a Head class, a null-prototype header record, one body piece in a field, the chunked reader
 * reused across requests). The classic bug of such a rewrite is state kept from one request into
 * the next on a kept connection: a header, a token, a trailer, a half-read chunk size. Every case
 * here sends its requests pipelined on ONE connection (whole, and again one byte at a time) and
 * checks what the handler of each later request sees: who it is (ctx.client), its headers, its
 * body. Then the framing edges fe87c169 did not list: chunk sizes with `0x`, signs, spaces, nine
 * digits, a head exactly at and one byte past its limit, a method or target of 64 KiB,
 * Object.prototype names as header names.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RAG = 'rag-token-0123456789abcdefghij';
let kit: KitServer;
let sock: string;
let seen = 0;

beforeAll(async () => {
  const dir = tempDir('kit-state-');
  writeFileSync(join(dir, 'client-tokens'), `rag ${RAG}\n`);
  const who = async (ctx: Parameters<KitServerRoute>[0]) => {
    seen++;
    const body = ctx.req.method === 'POST' ? (await ctx.bytes()).toString('latin1') : '';
    return {
      body: { client: ctx.client ?? null, names: Object.keys(ctx.req.headers).sort(), body },
    };
  };
  kit = createKitServer({
    name: 'vectors',
    log: createLog({ name: 'state', write: () => undefined }),
    errorBody: (e) => ({ error: e.message }),
    token: ADMIN,
    clientTokens: join(dir, 'client-tokens'),
    limits: { maxBodyBytes: 100_000 },
    routes: {
      '/who': { method: 'GET', handle: who },
      '/post': { method: 'POST', handle: who },
    },
  });
  sock = join(dir, 'api.sock');
  await kit.listen(sock);
});
afterAll(() => kit.drain(1000));

type KitServerRoute = Parameters<typeof createKitServer>[0]['routes'][string]['handle'];

/** Sends `bytes` on one connection (whole, or a byte a write), returns all it got until closed. */
function exchange(bytes: string, byteByByte = false, ms = 2500): Promise<string> {
  return new Promise((done) => {
    const s: Socket = connect(sock);
    let got = '';
    const t = setTimeout(() => s.destroy(), ms);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      done(got);
    });
    s.on('connect', async () => {
      if (!byteByByte) return void s.write(bytes, 'latin1');
      const b = Buffer.from(bytes, 'latin1');
      for (let i = 0; i < b.length && !s.destroyed; i++) {
        s.write(b.subarray(i, i + 1));
        if (i % 64 === 0) await new Promise((r) => setImmediate(r));
      }
    });
  });
}

interface Answer {
  status: number;
  json: { client?: string | null; names?: string[]; body?: string; error?: string };
}

/** The answers in a connection's bytes, in order (every answer here has a content-length). */
function answers(raw: string): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const head = raw.slice(at, end);
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const text = raw.slice(end + 4, end + 4 + length);
    out.push({ status, json: text ? JSON.parse(text) : {} });
    at = end + 4 + length;
  }
}

const get = (extra = '') => `GET /who HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const post = (body: string, extra = '') =>
  `POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const chunked = (chunks: string, extra = '') =>
  `POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n${extra}\r\n${chunks}`;
const last = `GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
const bearer = (t: string) => `Authorization: Bearer ${t}\r\n`;

for (const byteByByte of [false, true])
  describe(`pipelined requests on one connection${byteByByte ? ', a byte a write' : ''}: nothing of one reaches the next`, () => {
    it("request 1's token (admin, consumer) never authorises request 2 without one", async () => {
      const got = answers(
        await exchange(
          get(bearer(ADMIN)) + get() + get(bearer(RAG)) + get('X-Other: 1\r\n') + last,
          byteByByte,
        ),
      );
      expect(got.map((a) => a.status)).toEqual([200, 401, 200, 401, 401]);
      expect(got[0]!.json.client).toBe('admin');
      expect(got[2]!.json.client).toBe('consumer:rag');
    });

    it('a token named at the head of a body (charged to its client) does not carry to the next body', async () => {
      const got = answers(
        await exchange(
          post('{"a":1}', bearer(RAG)) +
            post('{"b":2}') +
            chunked('3\r\nabc\r\n0\r\n\r\n', bearer(ADMIN)) +
            chunked('2\r\nde\r\n0\r\n\r\n') +
            last,
          byteByByte,
        ),
      );
      expect(got.map((a) => a.status)).toEqual([200, 401, 200, 401, 401]);
      expect(got[0]!.json).toMatchObject({ client: 'consumer:rag', body: '{"a":1}' });
      expect(got[2]!.json).toMatchObject({ client: 'admin', body: 'abc' });
    });

    it('a trailer of request 1 (an Authorization in it) is no header of request 1 or 2', async () => {
      const got = answers(
        await exchange(
          chunked(`3\r\nabc\r\n0\r\nAuthorization: Bearer ${ADMIN}\r\nX-Trailer: 1\r\n\r\n`, bearer(RAG)) +
            chunked('0\r\n\r\n', bearer(RAG)) +
            get() +
            last,
          byteByByte,
        ),
      );
      expect(got.map((a) => a.status)).toEqual([200, 200, 401, 401]);
      expect(got[0]!.json).toMatchObject({ client: 'consumer:rag', body: 'abc' });
      expect(got[0]!.json.names).not.toContain('x-trailer');
      expect(got[1]!.json).toMatchObject({ client: 'consumer:rag', body: '' });
      expect(got[1]!.json.names).not.toContain('x-trailer');
    });

    it("each request's headers are its own (names of request 1 absent from request 2's record)", async () => {
      const got = answers(
        await exchange(
          get(`${bearer(ADMIN)}X-One: 1\r\nCookie: a=1\r\n`) + get(`${bearer(ADMIN)}X-Two: 2\r\n`) + last,
          byteByByte,
        ),
      );
      expect(got.map((a) => a.status)).toEqual([200, 200, 401]);
      expect(got[0]!.json.names).toEqual(['authorization', 'cookie', 'host', 'x-one']);
      expect(got[1]!.json.names).toEqual(['authorization', 'host', 'x-two']);
    });

    it('a chunked body read to its end leaves no chunk state: the next chunked body is read from its size', async () => {
      // Request 1 ends right after a size line's data; request 2's first chunk must not be read as
      // request 1's leftover data (a reused reader whose `left` or state was not reset).
      const got = answers(
        await exchange(
          chunked('5\r\nhello\r\n00000000\r\n\r\n', bearer(ADMIN)) +
            chunked('3;ext=1\r\nabc\r\n1 \r\nd\r\n0\r\n\r\n', bearer(ADMIN)) +
            post('xyz', bearer(ADMIN)) +
            last,
          byteByByte,
        ),
      );
      expect(got.map((a) => a.status)).toEqual([200, 200, 200, 401]);
      expect(got.map((a) => a.json.body)).toEqual(['hello', 'abcd', 'xyz', undefined]);
    });
  });

describe('a body refused before it is read is never read as the next request', () => {
  // The handler never reads it (401, 404, 405 answered from the head): the reader must still skip
  // it as body, or close; a request hidden in it answered would be a desync (smuggling through a proxy).
  const hidden = `GET /who HTTP/1.1\r\nHost: x\r\n${bearer(ADMIN)}X-Hidden: 1\r\n\r\n`;
  const cases: [string, string][] = [
    ['401, no token', `POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`],
    [
      '404, no route',
      `POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    ],
    [
      '405, wrong method',
      `PUT /who HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    ],
    [
      '401, chunked',
      `POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
    ],
  ];
  for (const [what, first] of cases)
    for (const byteByByte of [false, true])
      it(`${what}${byteByByte ? ', a byte a write' : ''}: the hidden request is not answered`, async () => {
        const got = answers(await exchange(first + get('X-After: 1\r\n') + last, byteByByte));
        // Whole, the refusal arrives; a byte a write, the server may close (the answer said
        // `connection: close` with the body unread) while the client still writes, and the client's
        // reset can lose it: what matters is that nothing after it is answered.
        if (!byteByByte) expect(got.map((a) => a.status)[0]).toBeGreaterThanOrEqual(400);
        for (const a of got) expect(a.json.names ?? []).not.toContain('x-hidden');
        expect(got.filter((a) => a.status === 200)).toEqual([]);
      });
});

describe('framing edges: refused at once, nothing after them answered', () => {
  const chunkSizes: [string, string][] = [
    ['0x2', '0x prefix'],
    ['+2', 'a plus sign'],
    ['-0', 'a minus zero'],
    [' 2', 'a space before'],
    ['000000002', 'nine digits (leading zeros count)'],
    ['2\x0b', 'a vertical tab after'],
    ['2;a\nb', 'a bare LF in an extension'],
    ['2 2', 'two sizes'],
    ['', 'no size'],
  ];
  for (const [size, what] of chunkSizes)
    it(`chunk size ${JSON.stringify(size)} (${what}): 400`, async () => {
      const before = seen;
      const raw = await exchange(chunked(`${size}\r\nab\r\n0\r\n\r\n`, bearer(ADMIN)) + get(bearer(ADMIN)));
      expect(answers(raw).map((a) => a.status)).toEqual([400]);
      expect(seen).toBe(before);
    });

  const lengths: [string, number][] = [
    ['0002', 200],
    ['2 ', 200],
    ['\t2', 200],
    ['1e0', 400],
    ['', 400],
    ['2.0', 400],
    ['9999999999999999', 400],
    ['999999999999999', 413],
  ];
  for (const [cl, status] of lengths)
    it(`Content-Length ${JSON.stringify(cl)}: ${status}`, async () => {
      const raw = await exchange(
        `POST /post HTTP/1.1\r\nHost: x\r\n${bearer(ADMIN)}Content-Length:${cl}\r\n\r\nab${last}`,
      );
      const got = answers(raw).map((a) => a.status);
      expect(got[0]).toBe(status);
      if (status !== 200) expect(got).toHaveLength(1);
    });

  it('Transfer-Encoding in any case, and Content-Length beside it in any case: 400', async () => {
    const raw = await exchange(
      `POST /post HTTP/1.1\r\nHost: x\r\n${bearer(ADMIN)}TRANSFER-ENCODING: Chunked\r\ncontent-LENGTH: 2\r\n\r\n2\r\nab\r\n0\r\n\r\n${last}`,
    );
    expect(answers(raw).map((a) => a.status)).toEqual([400]);
    const ok = await exchange(
      chunked('2\r\nab\r\n0\r\n\r\n', `${bearer(ADMIN)}`).replace(
        'Transfer-Encoding: chunked',
        'tRANSFER-eNCODING:  CHUNKED\t',
      ) + last,
    );
    expect(answers(ok).map((a) => [a.status, a.json.body])).toEqual([
      [200, 'ab'],
      [401, undefined],
    ]);
  });

  it('Authorization twice in different cases: 400, neither used', async () => {
    const raw = await exchange(
      get(`authorization: Bearer nothing-known-here-x\r\nAUTHORIZATION: Bearer ${ADMIN}\r\n`) + last,
    );
    expect(answers(raw).map((a) => a.status)).toEqual([400]);
  });

  it('a head exactly at 16 KiB is read; one byte more is 431, the connection closed', async () => {
    const base = get(`${bearer(ADMIN)}X-Pad: \r\n`);
    const fill = 16 * 1024 - base.length;
    const at = get(`${bearer(ADMIN)}X-Pad: ${'a'.repeat(fill)}\r\n`);
    expect(at.length).toBe(16 * 1024);
    expect(answers(await exchange(at + last)).map((a) => a.status)).toEqual([200, 401]);
    const over = get(`${bearer(ADMIN)}X-Pad: ${'a'.repeat(fill + 1)}\r\n`);
    expect(answers(await exchange(over + last)).map((a) => a.status)).toEqual([431]);
  });

  it('100 header fields are read; 101 are 431', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: 1\r\n`).join('');
    // Host and Authorization count: 98 more make 100.
    expect(answers(await exchange(get(bearer(ADMIN) + fields(98)) + last)).map((a) => a.status)).toEqual([
      200, 401,
    ]);
    expect(answers(await exchange(get(bearer(ADMIN) + fields(99)) + last)).map((a) => a.status)).toEqual([
      431,
    ]);
  });

  it('a method or a target of 64 KiB: 431 (or 400), the connection closed, nothing after it answered', async () => {
    const before = seen;
    const method = await exchange(`${'G'.repeat(64 * 1024)} /who HTTP/1.1\r\nHost: x\r\n\r\n${last}`);
    expect(answers(method).map((a) => a.status)).toEqual([431]);
    const target = await exchange(`GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n${last}`);
    expect(answers(target).map((a) => a.status)).toEqual([431]);
    const longMethod = await exchange(`${'G'.repeat(21)} /who HTTP/1.1\r\nHost: x\r\n\r\n${last}`);
    expect(answers(longMethod).map((a) => a.status)).toEqual([400]);
    const lower = await exchange(`get /who HTTP/1.1\r\nHost: x\r\n\r\n${last}`);
    expect(answers(lower).map((a) => a.status)).toEqual([400]);
    expect(seen).toBe(before);
  });

  it('header names that are Object.prototype keys are plain fields: no 500, no token from them', async () => {
    const raw = await exchange(
      get(`__proto__: x\r\nconstructor: y\r\nhasOwnProperty: z\r\ntoString: w\r\n${bearer(ADMIN)}`) +
        get('__proto__: {"authorization":"Bearer x"}\r\nvalueOf: 1\r\n') +
        last,
    );
    const got = answers(raw);
    expect(got.map((a) => a.status)).toEqual([200, 401, 401]);
    expect(got[0]!.json.names).toEqual([
      '__proto__',
      'authorization',
      'constructor',
      'hasownproperty',
      'host',
      'tostring',
    ]);
  });
});
