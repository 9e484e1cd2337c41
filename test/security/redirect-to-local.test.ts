import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes } from '../../src/core/pkg/transport.js';

/**
 * A repository (or mirror) on another host could redirect the box's fetch to the box itself
 * (127.0.0.1, localhost, [::ffff:127.0.0.1]) or to a link-local address (169.254.169.254, where
 * cloud metadata services answer): root's GET reached services that trust local callers, and the
 * box's egress rules always allow loopback. A redirect from a host that is not itself local to one
 * that is (by address, or by a name resolving to one) is refused; a local repository may still
 * redirect locally.
 *
 * Needs an address of this machine that is not loopback (the "remote" repository): skipped without.
 */

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && !a.internal && a.family === 'IPv4')?.address;

/** A name /etc/hosts gives a loopback address that is not spelled localhost (the host's own, often). */
const loopbackName = (() => {
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (!addr?.startsWith('127.')) continue;
      const name = names.find((n) => /^[a-z0-9-]+$/i.test(n) && n.toLowerCase() !== 'localhost');
      if (name) return name.toLowerCase();
    }
  } catch {}
  return undefined;
})();

let server: Server;
let port = 0;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const to = (loc: string) => res.writeHead(302, { location: loc }).end();
    if (req.url === '/real') return void res.writeHead(200).end('the real file');
    if (req.url === '/to-127') return to(`http://127.0.0.1:${port}/real`);
    if (req.url === '/to-localhost') return to(`http://localhost:${port}/real`);
    // A name not spelled `localhost` that resolves to loopback: judged by its answer.
    if (req.url === '/to-loopback-name') return to(`http://${loopbackName}:${port}/real`);
    if (req.url === '/to-mapped') return to(`http://[::ffff:127.0.0.1]:${port}/real`);
    if (req.url === '/to-metadata') return to('http://169.254.169.254/latest/meta-data/');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server?.close());

const text = async (url: string) => Buffer.from(await fetchBytes(url, 1024)).toString();

describe.skipIf(!external)('a redirect from a repository on another host', () => {
  it.each([
    '/to-127',
    '/to-localhost',
    '/to-mapped',
    '/to-metadata',
    ...(loopbackName ? ['/to-loopback-name'] : []),
  ])(
    '%s: refused, and the local address is never asked',
    async (route) => {
      hits.length = 0;
      const err = await text(`http://${external}:${port}${route}`).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'redirect-to-local' });
      expect((err as { hint?: string }).hint).toBeTruthy();
      expect(hits).toEqual([route]);
    },
    15_000,
  );

  it('to another path of the same host is followed (control)', async () => {
    server.once('request', () => {});
    expect(await text(`http://${external}:${port}/real`)).toBe('the real file');
  });
});

describe('a redirect from a local repository', () => {
  it('to the same machine is followed (control)', async () => {
    expect(await text(`http://127.0.0.1:${port}/to-localhost`)).toBe('the real file');
    expect(await text(`http://localhost:${port}/to-127`)).toBe('the real file');
  });
});
