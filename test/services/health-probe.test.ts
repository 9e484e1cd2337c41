/**
 * The health probe (`httpOverSocket`, `checkHealth`): one GET on the service's unix socket, whose
 * answer is untrusted input (a module's own server). It is read with the kit's strict response
 * parser, bounded in size and in time: a service that streams an endless answer, or trickles one
 * byte at a time, must not hold `service start`, `service status` or the watcher (issue 20: the
 * probe also left node:http, whose cold first request cost 10-15 ms at the end of every start).
 * Real servers on real unix sockets answer with bytes written by hand.
 */
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth, HEALTH_TIMEOUT_MS, httpOverSocket } from '../../src/core/services/health.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import type { LoadedRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { tempDir } from '../setup/temp-registry.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const c of sockets.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server that, once a request's head has arrived, hands the connection to `answer`. */
async function serve(answer: (c: net.Socket, request: string) => void, sock?: string) {
  const file = sock ?? path.join(tempDir('bp-probe-'), 'svc.sock');
  const requests: string[] = [];
  const server = net.createServer((c) => {
    sockets.push(c);
    let got = '';
    c.on('data', (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n') || requests.includes(got)) return;
      requests.push(got);
      answer(c, got);
    });
    c.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(file, r));
  return { sock: file, requests };
}

/** Writes `text` and closes. */
const reply = (text: string) => (c: net.Socket) => c.end(Buffer.from(text, 'latin1'));

/** Settles within `ms`, or says it did not. */
const within = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(
      (v) => `resolved: ${JSON.stringify(v)}`,
      (e: Error) => `rejected: ${e.message}`,
    ),
    new Promise((r) => setTimeout(() => r('pending'), ms)),
  ]);

describe('health probe: what a service answers', () => {
  it('reads a body by Content-Length, by chunks, and an HTTP/1.0 answer up to the close', async () => {
    for (const [text, body] of [
      ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}', '{}'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', 'ok'],
      ['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n', 'ok\n'], // modules/hello's answer
    ] as const) {
      const { sock } = await serve(reply(text));
      expect(await httpOverSocket(sock, '/health')).toEqual({ status: 200, body });
    }
  });

  it('asks GET PATH over HTTP/1.1 with a Host and Connection: close, one request a connection', async () => {
    const { sock, requests } = await serve(reply('HTTP/1.1 204 No Content\r\n\r\n'));
    expect((await httpOverSocket(sock, '/health?deep=1')).status).toBe(204);
    expect(requests).toHaveLength(1);
    const [line, ...fields] = requests[0]!.split('\r\n\r\n')[0]!.split('\r\n');
    expect(line).toBe('GET /health?deep=1 HTTP/1.1');
    const lower = fields.map((f) => f.toLowerCase());
    expect(lower).toContain('connection: close');
    expect(lower.filter((f) => f.startsWith('host: localhost'))).toHaveLength(1);
  });

  it('a path that would end the request line early, or is not a path, is not sent', async () => {
    const { sock, requests } = await serve(reply('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    for (const bad of ['/health HTTP/1.1\r\nX: y', '/a b', 'health'])
      await expect(httpOverSocket(sock, bad)).rejects.toThrow();
    expect(requests).toEqual([]);
  });

  it('refuses answers two parsers could read apart (the kit client holds modules to the same)', async () => {
    for (const text of [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
    ]) {
      const { sock } = await serve(reply(text));
      await expect(httpOverSocket(sock, '/health'), text).rejects.toThrow();
    }
  });

  it('an endless answer is cut at its bound instead of read for ever', async () => {
    const { sock } = await serve((c) => {
      c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      const piece = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
      timers.push(setInterval(() => c.writable && c.write(piece), 1));
    });
    expect(await within(httpOverSocket(sock, '/health'), 3000)).toMatch(/^rejected: /);
  });

  it('an answer trickled a byte at a time gives up at the deadline, not at an idle timeout', async () => {
    const text = `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100000)}`;
    const { sock } = await serve((c) => {
      let at = 0;
      timers.push(setInterval(() => c.writable && c.write(text[at++] ?? ''), 50));
    });
    const t0 = Date.now();
    expect(await within(httpOverSocket(sock, '/health'), HEALTH_TIMEOUT_MS + 1500)).toMatch(/^rejected: /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 50);
  });

  it('a service that never answers is not healthy once the deadline passes', async () => {
    const { sock } = await serve(() => {});
    const t0 = Date.now();
    expect(await within(httpOverSocket(sock, '/health'), HEALTH_TIMEOUT_MS + 1500)).toMatch(/^rejected: /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 50);
  });
});

describe('checkHealth: healthy is a 2xx answer, anything else is not', () => {
  const reg = () =>
    ({
      name: 'probed',
      version: '1.0.0',
      prefix: '/opt/p',
      spec: parseService({
        network: 'loopback-socket',
        image: { archive: 'image.tar', id: `sha256:${'0'.repeat(64)}` },
        socket: { dir: '/run/p', file: 'p.sock' },
        resources: { memory: '64m', cpus: 0.5, pids: 32 },
        health: { http: '/health', startTimeout: 20 },
      }),
      approvals: { outboundNetwork: false },
      imageId: 'sha256:0',
    }) as LoadedRegistration;

  it('2xx, 500, a broken answer, a refused connection and no socket', async () => {
    const cases: [string | null, boolean][] = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
      ['HTTP/1.1 204 No Content\r\n\r\n', true],
      ['HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n', false],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}', false],
      [null, false], // no socket at all
    ];
    for (const [text, healthy] of cases) {
      const root = tempDir('bp-probe-root-');
      const r = reg();
      const dir = serviceDirs(root, r.name).socketDir;
      (await import('node:fs')).mkdirSync(dir, { recursive: true });
      if (text !== null) await serve(reply(text), path.join(dir, 'p.sock'));
      expect(await checkHealth(root, r), String(text)).toBe(healthy);
    }
  });
});
