/**
 * The libpod calls' HTTP/1.1 over the engine's unix socket without node:http (engine-wire.ts,
 * issue 20). A real server on a real unix socket answers with bytes written by hand, cut at odd
 * places, so that each way an answer can be framed (length, chunks, close) and each broken one is met.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/core/services/engine.js';
import { answerParser, MAX_ANSWER_BYTES, openWire } from '../../src/core/services/engine-wire.js';
import { answerServers } from '../helpers/answer-server.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';

const servers = answerServers();
// A connection opened ahead (the spare) may still be open: the server would wait for it.
afterEach(servers.close);

/** A server that reads one request (head + Content-Length body) and writes `answer` in `pieces`. */
const serve = (answer: string | ((request: string) => string), pieces = 1) =>
  servers.serve(path.join(tempDir('bp-wire-'), 'engine.sock'), answer, pieces);

const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

describe('engine wire: answers', () => {
  it('reads a body by Content-Length, by chunks (cut anywhere), and up to the close', async () => {
    const body = JSON.stringify({ Id: 'abc', State: { Running: true }, text: 'é€' });
    const bytes = Buffer.byteLength(body);
    for (const [answer, pieces] of [
      [`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n${body}`, 1],
      [`HTTP/1.1 200 OK\r\nContent-Length: ${bytes}\r\n\r\n${body}`, 40],
      [
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body.slice(0, 10))}${chunk(body.slice(10))}0\r\n\r\n`,
        1,
      ],
      [
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body.slice(0, 7))}${chunk(body.slice(7))}0\r\n\r\n`,
        55,
      ],
      [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body)}0\r\nX-Trailer: 1\r\n\r\n`, 3],
      [`HTTP/1.0 200 OK\r\n\r\n${body}`, 4],
    ] as const) {
      const { sock } = await serve(Buffer.from(answer, 'utf8').toString('latin1'), pieces);
      const got = await openWire(sock).exchange('GET', '/x', undefined);
      expect(got, answer.slice(0, 60)).toEqual({ status: 200, body });
    }
  });

  it('sends the method, path, JSON body with its length and Connection: close; calls sent', async () => {
    const { sock, requests } = await serve('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}');
    let sent = false;
    const body = JSON.stringify({ name: 'blueprint-x', note: 'ü' });
    const got = await openWire(sock).exchange('POST', '/v4.0.0/libpod/containers/create', body, () => {
      sent = true;
    });
    expect(got).toEqual({ status: 201, body: '{}' });
    expect(sent).toBe(true);
    const req = Buffer.from(requests[0]!, 'latin1').toString('utf8');
    expect(req.startsWith('POST /v4.0.0/libpod/containers/create HTTP/1.1\r\n')).toBe(true);
    expect(req).toContain('Connection: close\r\n');
    expect(req).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n`);
    expect(req.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });

  it('204 and 304 have no body', async () => {
    const { sock } = await serve('HTTP/1.1 204 No Content\r\nApi-Version: 4\r\n\r\n');
    expect(await openWire(sock).exchange('POST', '/s', undefined)).toEqual({ status: 204, body: '' });
  });

  it('refuses what is not an HTTP/1.1 answer, and an answer cut short', async () => {
    // The framing is the module kit's response parser (modules/kit/client/response-parser.ts): its
    // words in the reasons.
    for (const [answer, why] of [
      ['SSH-2.0-x\r\n\r\n', /status line/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab', /content-length given twice/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /transfer coding other than chunked/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n', /chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n', /chunk data longer/],
      ['HTTP/1.1 100 Continue\r\n\r\n', /interim/],
      ['HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', /interim/],
      ['HTTP/1.1 200 OK\r\nno colon\r\n\r\n', /header field/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', /middle of its answer/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', /middle of its answer/],
      ['HTTP/1.1 200', /before answering/],
      ['', /before answering/],
    ] as const) {
      const { sock } = await serve(answer);
      await expect(openWire(sock).exchange('GET', '/x', undefined), answer).rejects.toThrow(why);
    }
  });

  it("refuses the shapes its own parser let through and the kit's refuses (two parsers could read them apart)", async () => {
    for (const [answer, why] of [
      // whitespace before the colon: read before as a header named "content-length " (ignored)
      ['HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nab', /header field/],
      // a folded header line
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 3\r\n\r\nab', /header field/],
      // the same Content-Length twice
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab', /given twice/],
      // chunked in HTTP/1.0
      ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n', /HTTP\/1\.0/],
      // a status no HTTP has
      ['HTTP/1.1 700 Nope\r\nContent-Length: 2\r\n\r\nab', /outside 100-599/],
      // a control byte in the head, a bare LF ending a header line
      ['HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nab', /control byte/],
      ['HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 2\r\n\r\nab', /control byte/],
      // whitespace before a chunk size, a malformed trailer
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nab\r\n0\r\n\r\n', /chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nno colon\r\n\r\n', /trailer/],
    ] as const) {
      const { sock } = await serve(answer);
      await expect(openWire(sock).exchange('GET', '/x', undefined), answer).rejects.toThrow(why);
    }
  });

  it('bounds the head, the body, and the whole answer with its framing', () => {
    expect(() => answerParser().push(Buffer.alloc(65 * 1024, 'a'))).toThrow(/head is too large/);
    // A length over the bound is refused with the head, before a byte of the body is kept.
    expect(() =>
      answerParser().push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n')),
    ).toThrow(`larger than ${MAX_ANSWER_BYTES} bytes`);
    // Chunks are counted as they come, chunk-size lines and CRLFs too: 64 chunks of 1 MiB are over.
    const q = answerParser();
    q.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
    const piece = Buffer.concat([
      Buffer.from('100000\r\n'),
      Buffer.alloc(0x100000, 'a'),
      Buffer.from('\r\n'),
    ]);
    let pushed = 0;
    expect(() => {
      for (; pushed < 80; pushed++) q.push(piece);
    }).toThrow(`answer over ${MAX_ANSWER_BYTES} bytes`);
    expect(pushed).toBe(63);
    // An answer read until the close, the same.
    const r = answerParser();
    r.push(Buffer.from('HTTP/1.0 200 OK\r\n\r\n'));
    expect(() => {
      for (let i = 0; i < 80; i++) r.push(Buffer.alloc(1024 * 1024));
    }).toThrow(`answer over ${MAX_ANSWER_BYTES} bytes`);
  });
});

describe('engine wire: connections', () => {
  it('a missing socket is the engine-down error, as before', async () => {
    const engine = openEngine(path.join(tempDir('bp-wire-'), 'none.sock'));
    await expect(engine.libpod('GET', '/_ping')).rejects.toMatchObject({ code: 'engine-down' });
  });

  it('one request a connection; the next one goes on a connection opened ahead', async () => {
    const { sock, requests, connections } = await serve('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"ok"');
    const engine = openEngine(sock);
    expect(await engine.libpod('GET', '/containers/a/json')).toBe('ok');
    // The spare is open before the second request is asked.
    await until('the spare connected', () => connections() === 2); // before: a 50 ms sleep
    expect(connections()).toBe(2);
    expect(await engine.libpod('POST', '/containers/a/start', { ok: [304] })).toBe('ok');
    expect(requests.map((r) => r.split('\r\n')[0])).toEqual([
      'GET /v4.0.0/libpod/containers/a/json HTTP/1.1',
      'POST /v4.0.0/libpod/containers/a/start HTTP/1.1',
    ]);
    expect(connections()).toBe(3); // the third is the next spare, unused
  });

  it('maps a status outside 2xx and ok to the HTTP error with the JSON message', async () => {
    const body = JSON.stringify({ message: 'no such container' });
    const { sock } = await serve(`HTTP/1.1 404 Not Found\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await expect(openEngine(sock).libpod('GET', '/containers/x/json')).rejects.toMatchObject({
      code: 'engine-not-found',
      message: expect.stringContaining('no such container'),
    });
  });
});
