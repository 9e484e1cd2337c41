/**
 * The kit's unix-socket HTTP/1.1 client (modules/kit/client/unix-http.ts), which rag's JSON calls to
 * embeddings and vectors go through, against servers we did not write: node:http's server (as every
 * module serves, through the kit) and, for what node:http would never send, raw bytes from a
 * net server. Framing (Content-Length, chunked with extensions and trailers, read-until-close,
 * bytes arriving one at a time), 1xx, HEAD/204, keep-alive and its limits, a kept-alive connection
 * the server closed (sent again only when allowed), deadlines, aborts, refusing smuggled framing,
 * and no header injection from caller text.
 */

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnixHttpClient, UnixHttpError } from '../../modules/kit/client/unix-http.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';

let dir: string;
let http: Server;
let httpSocket: string;
let httpConnections = 0;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/json') {
    const text = JSON.stringify({ echo: body, n: 'ü€' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    return res.end(text);
  }
  if (url.pathname === '/chunked') {
    // No Content-Length: node:http sends it chunked, one chunk per write.
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const part of ['alpha ', 'beta ', 'gamma']) res.write(part);
    return res.end();
  }
  if (url.pathname === '/close') {
    res.writeHead(200, { connection: 'close', 'content-length': '2' });
    return res.end('ok');
  }
  if (url.pathname === '/no-content') {
    res.writeHead(204);
    return res.end();
  }
  if (url.pathname === '/early-hints') {
    res.writeEarlyHints({ link: '</x>; rel=preload' });
    res.writeHead(200, { 'content-length': '5' });
    return res.end('later');
  }
  if (url.pathname === '/slow') return setTimeout(() => res.end('late'), 2_000);
  if (url.pathname === '/big') return res.end(Buffer.alloc(200_000, 0x61));
  res.writeHead(404, { 'content-length': '9' });
  res.end('not found');
}

beforeAll(async () => {
  dir = tempDir('rag-kit-client-');
  httpSocket = join(dir, 'http.sock');
  http = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handle(req, res, body);
    });
  });
  http.on('connection', () => httpConnections++);
  await new Promise<void>((r) => http.listen(httpSocket, r));
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

/** A raw server: `answer` gets each connection and the text of each request's head as it arrives. */
async function raw(
  answer: (socket: Socket, request: string, nth: number) => void,
): Promise<{ path: string; server: NetServer; connections: () => number }> {
  const path = join(dir, `raw-${Math.random().toString(36).slice(2)}.sock`);
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    let nth = 0;
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      let end = buf.indexOf('\r\n\r\n');
      while (end >= 0) {
        const head = buf.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        answer(socket, head, nth++);
        end = buf.indexOf('\r\n\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, connections: () => connections };
}

const T = 5_000;
const text = (b: Buffer) => b.toString('utf8');

describe('the kit unix-socket HTTP client against node:http', () => {
  it('sends a JSON body with its byte length and our headers, and reads a Content-Length answer', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket });
    seen.length = 0;
    const body = JSON.stringify({ input: 'café ☕' });
    const r = await c.request({
      method: 'POST',
      path: '/json?x=1',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-123' },
      body,
      timeoutMs: T,
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(text(r.body))).toEqual({ echo: body, n: 'ü€' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/json?x=1', body });
    expect(seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]!.headers.authorization).toBe('Bearer tok-123');
    c.close();
  });

  it('reads chunked answers, 204 and HEAD without a body, skips 103, and answers 404 as a response', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket });
    expect(text((await c.request({ method: 'GET', path: '/chunked', timeoutMs: T })).body)).toBe(
      'alpha beta gamma',
    );
    const nc = await c.request({ method: 'DELETE', path: '/no-content', timeoutMs: T });
    expect([nc.status, nc.body.length]).toEqual([204, 0]);
    const head = await c.request({ method: 'HEAD', path: '/json', timeoutMs: T });
    expect([head.status, head.body.length]).toEqual([200, 0]);
    const hinted = await c.request({ method: 'GET', path: '/early-hints', timeoutMs: T });
    expect([hinted.status, text(hinted.body)]).toEqual([200, 'later']);
    const missing = await c.request({ method: 'GET', path: '/nope', timeoutMs: T });
    expect([missing.status, text(missing.body)]).toEqual([404, 'not found']);
    expect((await c.request({ method: 'GET', path: '/big', timeoutMs: T })).body.length).toBe(200_000);
    c.close();
  });

  it('keeps one connection alive across calls, and opens a new one after Connection: close', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket });
    const before = httpConnections;
    for (let i = 0; i < 5; i++)
      await c.request({ method: 'POST', path: '/json', body: `{"i":${i}}`, timeoutMs: T });
    expect(httpConnections - before).toBe(1);
    expect(c.connections).toBe(1);
    await c.request({ method: 'GET', path: '/close', timeoutMs: T });
    expect(c.connections).toBe(0);
    await c.request({ method: 'GET', path: '/json', timeoutMs: T });
    expect(httpConnections - before).toBe(2);
    c.close();
  });

  it('closes an idle connection after idleMs', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket, idleMs: 50 });
    await c.request({ method: 'GET', path: '/json', timeoutMs: T });
    expect(c.connections).toBe(1);
    await until('the idle connection closed', () => c.connections === 0); // before: a 150 ms sleep
    expect(c.connections).toBe(0);
  });

  it('fails at the deadline, and on an abort, and the connection is not reused', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket });
    const t0 = performance.now();
    const late = await c.request({ method: 'GET', path: '/slow', timeoutMs: 100 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(UnixHttpError);
    expect((late as UnixHttpError).code).toBe('ETIMEDOUT');
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(c.connections).toBe(0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('client left')), 50);
    const aborted = await c
      .request({ method: 'GET', path: '/slow', timeoutMs: T, signal: ac.signal })
      .catch((e: unknown) => e);
    expect((aborted as Error).message).toBe('client left');
    expect(c.connections).toBe(0);
    c.close();
  });

  it('names the socket error when nothing listens', async () => {
    const c = new UnixHttpClient({ socketPath: join(dir, 'nobody.sock') });
    const err = await c.request({ method: 'GET', path: '/', timeoutMs: T }).catch((e: unknown) => e);
    expect((err as UnixHttpError).code).toBe('ENOENT');
  });

  it('refuses caller text that would forge a header or a request line', async () => {
    const c = new UnixHttpClient({ socketPath: httpSocket });
    const bad: { path?: string; headers?: Record<string, string> }[] = [
      { path: '/x\r\nX-Evil: 1' },
      { path: '/a b' },
      { path: 'http://elsewhere/' },
      { headers: { authorization: 'Bearer t\r\nX-Evil: 1' } },
      { headers: { 'x bad': '1' } },
      { headers: { 'content-length': '0' } },
    ];
    for (const b of bad)
      await expect(
        c.request({ method: 'GET', path: '/json', ...b, timeoutMs: T }),
        JSON.stringify(b),
      ).rejects.toThrow(TypeError);
    expect(c.connections).toBe(0);
  });
});

describe('the kit unix-socket HTTP client against raw bytes', () => {
  it('reads a body byte by byte, chunk extensions and trailers included, and one until the server closes', async () => {
    const r = await raw((s, head) => {
      const bytes = head.startsWith('GET /until-close')
        ? 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close'
        : 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Trailer: yes\r\n\r\n';
      let i = 0;
      const next = () => {
        if (i < bytes.length) s.write(bytes[i++]!, next);
        else if (head.startsWith('GET /until-close')) s.end();
      };
      next();
    });
    const c = new UnixHttpClient({ socketPath: r.path });
    expect(text((await c.request({ method: 'GET', path: '/chunked', timeoutMs: T })).body)).toBe('wikipedia');
    expect(c.connections).toBe(1);
    expect(text((await c.request({ method: 'GET', path: '/until-close', timeoutMs: T })).body)).toBe(
      'read until close',
    );
    expect(c.connections).toBe(0);
    c.close();
    r.server.close();
  });

  it('sends a retryable request again when the kept-alive connection was closed by the server, and only then', async () => {
    // The server answers the first request of each connection, then closes it without answering more.
    const r = await raw((s, _head, nth) => {
      if (nth === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.destroy();
    });
    const c = new UnixHttpClient({ socketPath: r.path });
    await c.request({ method: 'GET', path: '/', timeoutMs: T });
    const again = await c.request({ method: 'POST', path: '/', body: '{}', timeoutMs: T, retry: true });
    expect(text(again.body)).toBe('ok');
    expect(r.connections()).toBe(2);
    const once = await c
      .request({ method: 'POST', path: '/', body: '{}', timeoutMs: T })
      .catch((e: unknown) => e);
    expect((once as UnixHttpError).code).toBe('ECONNRESET');
    expect(r.connections()).toBe(2);
    c.close();
    r.server.close();
  });

  it('refuses smuggled or broken framing, too large answers, and a connection that closes mid-answer', async () => {
    const answers: Record<string, string> = {
      '/both': 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      '/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      '/gzip': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      '/bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      '/long-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n',
      '/folded': 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n',
      '/not-http': 'SSH-2.0-OpenSSH\r\n\r\n',
      '/huge': 'HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n',
      '/cut': 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
      '/extra':
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno',
    };
    const r = await raw((s, head) => {
      const path = head.split(' ')[1]!;
      s.write(answers[path]!);
      if (path === '/cut') s.end();
    });
    const c = new UnixHttpClient({ socketPath: r.path, maxBodyBytes: 1024 });
    for (const path of Object.keys(answers).filter((p) => p !== '/extra')) {
      const err = await c.request({ method: 'GET', path, timeoutMs: T }).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(UnixHttpError);
      expect((err as UnixHttpError).code, path).toBe('EPROTO');
      expect(c.connections, path).toBe(0);
    }
    // An answer followed by bytes nobody asked for is taken, but its connection is not kept.
    expect(text((await c.request({ method: 'GET', path: '/extra', timeoutMs: T })).body)).toBe('ok');
    expect(c.connections).toBe(0);
    c.close();
    r.server.close();
  });
});
