/**
 * HTTP/1.1 framing, held to the same rules on both sides of the kit: the server's request parser
 * (modules/kit/server/request-parser.ts) and the client's response parser
 * (modules/kit/client/response-parser.ts, rag's calls to embeddings and vectors) share one framing
 * module, so a shape one side refuses the other refuses too. Each table row is fed to both parsers
 * directly (the socket-level tests are test/kit/http-strict.test.ts and test/rag/kit-client.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError, ResponseParser } from '../../modules/kit/client/response-parser.js';
import { parseAsClient, parseAsServer } from '../helpers/kit-parse.js';

/** Each parser fed `bytes` whole (1) or one byte a piece. */
const server = (bytes: string, count = 1) => parseAsServer(bytes, { count });
const client = (bytes: string, count = 1) => parseAsClient(bytes, { count });

const REQ = 'POST /x HTTP/1.1\r\nHost: x\r\n';
const RES = 'HTTP/1.1 200 OK\r\n';
const CHUNKED = 'Transfer-Encoding: chunked\r\n\r\n';

describe('both parsers refuse the same broken chunked bodies', () => {
  const trailerFlood = Array.from({ length: 200 }, (_, i) => `X-T${i}: ${'a'.repeat(100)}\r\n`).join('');
  const bodies: [string, string][] = [
    ['a chunk size that is not hex', 'zz\r\n{}\r\n0\r\n\r\n'],
    ['a chunk size over 8 hex digits, leading zeros included', '000000002\r\n{}\r\n0\r\n\r\n'],
    ['a chunk size that overflows', '10000000000000002\r\n{}\r\n0\r\n\r\n'],
    ['a negative chunk size', '-2\r\n{}\r\n0\r\n\r\n'],
    ['a control byte in a chunk extension', '2;a\x01b\r\n{}\r\n0\r\n\r\n'],
    ['a chunk-size line over 1 KiB', `2;${'e'.repeat(1100)}\r\n{}\r\n0\r\n\r\n`],
    ['a bare LF after the chunk size', '2\n{}\r\n0\r\n\r\n'],
    ['chunk data longer than its size', '1\r\n{}\r\n0\r\n\r\n'],
    ['a trailer without a colon', '2\r\n{}\r\n0\r\nX-T\r\n\r\n'],
    ['a folded trailer', '2\r\n{}\r\n0\r\nX-T: a\r\n b\r\n\r\n'],
    ['a NUL in a trailer', '2\r\n{}\r\n0\r\nX-T: a\0b\r\n\r\n'],
    ['trailers over the head size limit in all', `2\r\n{}\r\n0\r\n${trailerFlood}\r\n`],
  ];
  for (const [what, body] of bodies) {
    it(`${what}: the server answers 400, the client throws`, () => {
      const s = server(`${REQ}${CHUNKED}${body}`);
      expect(s.error?.status, 'server').toBe(400);
      expect(s.ended, 'server').toBe(0);
      const c = client(`${RES}${CHUNKED}${body}`);
      expect(c.error, 'client').toBeInstanceOf(ProtocolError);
      expect(c.answers, 'client').toEqual([]);
    });
  }

  it('chunk data not followed by CRLF is refused at once, without waiting for a line end', () => {
    const s = server(`${REQ}${CHUNKED}2\r\n{}XY`);
    expect(s.error?.status).toBe(400);
    const c = client(`${RES}${CHUNKED}2\r\n{}XY`);
    expect(c.error).toBeInstanceOf(ProtocolError);
  });

  it('both read the same valid chunked body, fed whole or byte by byte', () => {
    const body = '4;ext=1;q="a b"\r\n{"a"\r\n00000006 \r\n:"bc"}\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const pieces of [1, 2]) {
      const s = server(`${REQ}${CHUNKED}${body}`, pieces);
      expect(s).toEqual({ body: '{"a":"bc"}', ended: 1 });
      const c = client(`${RES}${CHUNKED}${body}`, pieces);
      expect(c.error).toBeUndefined();
      expect(c.answers.map((a) => a.body)).toEqual(['{"a":"bc"}']);
    }
  });
});

describe('both parsers refuse the same broken heads', () => {
  const heads: [string, string][] = [
    ['a NUL in a value', 'X-A: a\0b\r\nContent-Length: 0\r\n'],
    ['a control byte in a value', 'X-A: a\x01b\r\nContent-Length: 0\r\n'],
    ['a bare CR in a value', 'X-A: a\rb\r\nContent-Length: 0\r\n'],
    ['a bare LF inside the head', 'X-A: a\nContent-Length: 0\r\n'],
    ['an obs-fold line', 'X-A: a\r\n b\r\nContent-Length: 0\r\n'],
    ['whitespace before the colon', 'Content-Length : 0\r\n'],
    ['two equal Content-Lengths', 'Content-Length: 2\r\nContent-Length: 2\r\n'],
    ['a Content-Length list', 'Content-Length: 2, 2\r\n'],
    ['a Content-Length with a no-break space (not optional whitespace)', 'Content-Length: 2\xa0\r\n'],
    ['a signed Content-Length', 'Content-Length: +2\r\n'],
    ['Content-Length beside Transfer-Encoding', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n'],
    ['Transfer-Encoding twice', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
    ['a gzip transfer coding', 'Transfer-Encoding: gzip, chunked\r\n'],
  ];
  for (const [what, fields] of heads) {
    it(`${what}: the server answers 400, the client throws`, () => {
      const s = server(`${REQ}${fields}\r\n{}0\r\n\r\n`);
      expect(s.error?.status, 'server').toBe(400);
      const c = client(`${RES}${fields}\r\n{}0\r\n\r\n`);
      expect(c.error, 'client').toBeInstanceOf(ProtocolError);
      expect(c.answers, 'client').toEqual([]);
    });
  }

  it('Transfer-Encoding in HTTP/1.0 is faulty framing on both sides (RFC 9112 6.1)', () => {
    const body = `${CHUNKED}2\r\n{}\r\n0\r\n\r\n`;
    expect(server(`POST /x HTTP/1.0\r\n${body}`).error?.status).toBe(400);
    expect(client(`HTTP/1.0 200 OK\r\n${body}`).error).toBeInstanceOf(ProtocolError);
  });

  it('the client reads header names that are Object.prototype keys as plain fields', () => {
    const c = client(`${RES}Constructor: x\r\n__proto__: y\r\nToString: z\r\nContent-Length: 0\r\n\r\n`);
    expect(c.error).toBeUndefined();
    const h = c.answers[0]!.headers;
    expect(Object.entries(h)).toEqual([
      ['constructor', 'x'],
      ['__proto__', 'y'],
      ['tostring', 'z'],
      ['content-length', '0'],
    ]);
  });
});

describe("the client's options for a peer asked nothing that earns a 1xx (blueprint's engine calls)", () => {
  const limits = { maxHeaderBytes: 1024, maxBodyBytes: 1024 };
  const answer = Buffer.from(`HTTP/1.1 100 Continue\r\n\r\n${RES}Content-Length: 2\r\n\r\nok`, 'latin1');

  it('interim: false refuses a 1xx that the default skips', () => {
    expect(new ResponseParser(limits).push(answer)?.body.toString()).toBe('ok');
    expect(() => new ResponseParser({ ...limits, interim: false }).push(answer)).toThrow(
      /interim answer \(100\)/,
    );
  });

  it('headRead tells a close before the head from one in the middle of the body', () => {
    const p = new ResponseParser(limits);
    p.push(Buffer.from(`${RES}Content-Length: 5\r\n`));
    expect([p.started, p.headRead]).toEqual([true, false]);
    p.push(Buffer.from('\r\nab'));
    expect([p.started, p.headRead]).toEqual([true, true]);
    expect(() => p.end()).toThrow(ProtocolError);
    const q = new ResponseParser(limits);
    expect(q.push(Buffer.from(`${RES}Content-Length: 1\r\n\r\nx`))?.body.toString()).toBe('x');
    expect(q.headRead).toBe(false); // ready for the next answer
  });
});
