import { readFileSync } from 'node:fs';
import { type Server as HttpServer, createServer as httpServer, type ServerResponse } from 'node:http';
import { type Server as HttpsServer, createServer as httpsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureTransports, fetchBytes } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';
import { testCa } from '../helpers/registry.js';

/**
 * What a repository server (or the storage host it redirects to) can make a box's fetch do with
 * a redirect or an answer it never ends.
 *
 * - An https repository redirected to http://: the fetch went on in the clear, so whoever is on
 *   the path saw which files (packages) the box fetched and could answer for the server from then
 *   on (stall it, or redirect it on, e.g. to the box's own loopback). The admin chose https.
 * - A redirect, or a 404 or 5xx, with an endless body: the body was drained (`resume()`) in the
 *   background after the fetch had moved on, downloading for as long as the server kept sending
 *   (until the caller's deadline, or for good where there was none).
 */

let tls: ReturnType<typeof testCa>;
let plain: HttpServer;
let secure: HttpsServer;
let plainUrl = '';
let secureUrl = '';
const plainHits: string[] = [];
/** Whether each endless answer's connection was closed by the client, by path. */
const closed = new Map<string, boolean>();

/** Sends 64 KiB chunks for as long as the client reads. */
function endless(res: ServerResponse, key: string) {
  closed.set(key, false);
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const pump = () => {
    while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
  };
  res.on('close', () => closed.set(key, true));
  pump();
}

const listen = (s: HttpServer | HttpsServer) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

beforeAll(async () => {
  tls = testCa(tempDir('bp-redirect-ca-'));
  plain = httpServer((req, res) => {
    plainHits.push(req.url ?? '');
    if (req.url === '/real') return void res.writeHead(200).end('the real file');
    if (req.url === '/to-https') return void res.writeHead(302, { location: `${secureUrl}/real` }).end();
    if (req.url === '/endless-redirect') {
      res.writeHead(302, { location: '/real' });
      return endless(res, 'redirect');
    }
    if (req.url === '/endless-404') {
      res.writeHead(404);
      return endless(res, '404');
    }
    if (req.url === '/endless-500') {
      res.writeHead(500);
      return endless(res, '500');
    }
    res.writeHead(404).end();
  });
  plainUrl = `http://127.0.0.1:${await listen(plain)}`;
  secure = httpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    if (req.url === '/real') return void res.writeHead(200).end('the real file');
    if (req.url === '/to-http') return void res.writeHead(302, { location: `${plainUrl}/real` }).end();
    res.writeHead(404).end();
  });
  secureUrl = `https://127.0.0.1:${await listen(secure)}`;
  configureTransports({ ca: [tls.caPem] });
});
afterAll(() => {
  plain?.closeAllConnections();
  plain?.close();
  secure?.close();
});

const text = async (url: string) => Buffer.from(await fetchBytes(url, 1 << 20)).toString();

describe('redirects', () => {
  it('from http to https are followed (control)', async () => {
    expect(await text(`${plainUrl}/to-https`)).toBe('the real file');
  });

  it('from https to http are refused before anything is sent in the clear', async () => {
    plainHits.length = 0;
    const err = await text(`${secureUrl}/to-http`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'insecure-redirect' });
    expect((err as { hint?: string }).hint).toMatch(/https/);
    expect(plainHits).toEqual([]);
  });
});

describe('an answer whose body never ends', () => {
  const settles = async (key: string) => {
    for (let i = 0; i < 40 && !closed.get(key); i++) await new Promise((r) => setTimeout(r, 50));
    return closed.get(key);
  };

  it('is not read on after a redirect is followed', async () => {
    expect(await text(`${plainUrl}/endless-redirect`)).toBe('the real file');
    expect(await settles('redirect')).toBe(true);
  });

  it.each(['404', '500'])('is not read on after an HTTP %s is reported', async (status) => {
    await expect(text(`${plainUrl}/endless-${status}`)).rejects.toMatchObject({
      message: expect.stringContaining(status),
    });
    expect(await settles(status)).toBe(true);
  });
});
