/**
 * engine-wire.ts writes the libpod request line itself (issue 20). node:http, which it replaced,
 * refused a path with a space, CR, LF or other control byte (ERR_UNESCAPED_CHARACTERS) before a
 * byte went out; a path that carries one (a container name or id from anywhere but blueprint's own
 * checks) must not end the request line early and smuggle a second request to the root-owned
 * engine. Attack: a path with CRLF and a second request in it; the engine (a real unix socket
 * server here) must receive nothing, and the call must fail.
 */
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWire } from '../../src/core/services/engine-wire.js';
import { tempDir } from '../setup/temp-registry.js';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const c of sockets.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An engine that records every byte it is sent and answers each request line with 200. */
async function engine() {
  const sock = path.join(tempDir('bp-wire-attack-'), 'engine.sock');
  const received: string[] = [];
  const server = net.createServer((c) => {
    sockets.push(c);
    c.on('data', (d) => {
      received.push(d.toString('latin1'));
      c.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(sock, r));
  return { sock, received };
}

describe('engine-wire request line', () => {
  it.each([
    [
      'CRLF and a second request',
      '/v5.0.0/libpod/containers/x/json HTTP/1.1\r\nHost: d\r\n\r\nDELETE /v5.0.0/libpod/containers/victim',
    ],
    ['a space', '/v5.0.0/libpod/containers/a b/json'],
    ['a bare LF', '/v5.0.0/libpod/containers/a\nb/json'],
    ['a NUL', '/v5.0.0/libpod/containers/a\0b/json'],
  ])('a path with %s is refused before a byte is sent', async (_what, apiPath) => {
    const { sock, received } = await engine();
    const wire = openWire(sock);
    await expect(wire.exchange('GET', apiPath, undefined)).rejects.toThrow(/request/);
    // Give a written request time to arrive.
    await new Promise((r) => setTimeout(r, 50));
    expect(received.join('')).toBe('');
  });

  it('a method that is not a token is refused', async () => {
    const { sock, received } = await engine();
    await expect(openWire(sock).exchange('GET /x HTTP/1.1\r\n\r\nPOST', '/y', undefined)).rejects.toThrow(
      /request/,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(received.join('')).toBe('');
  });

  it('a plain path still goes out as it is (query included)', async () => {
    const { sock, received } = await engine();
    const answer = await openWire(sock).exchange(
      'DELETE',
      '/v5.0.0/libpod/containers/bp-x?force=true&v=true',
      undefined,
    );
    expect(answer).toEqual({ status: 200, body: '{}' });
    expect(received.join('')).toMatch(
      /^DELETE \/v5\.0\.0\/libpod\/containers\/bp-x\?force=true&v=true HTTP\/1\.1\r\n/,
    );
  });
});
