/**
 * The llm service behind the README's loopback forwarder (`socat TCP-LISTEN:11434,bind=127.0.0.1,
 * fork UNIX-CONNECT:…`, for clients that only take a URL), reached by a web page in the admin's
 * browser. Without an access token (the default, as Ollama's) a page on any site could drive the
 * model: a cross-site POST with `content-type: text/plain` needs no CORS preflight, and a page
 * whose own name rebinds to 127.0.0.1 (DNS rebinding) reads the answers. As Ollama does (its
 * allowed-origins and allowed-hosts checks, after CVE-2024-28224), a request from another site's
 * page (an `Origin` that is not this machine's) or for another site's name (a `Host` that is) is
 * refused with a 403 saying why; programs (no Origin; Host localhost, an address, a bare name)
 * are served as before, the official `ollama` client given `http://127.0.0.1:PORT` included.
 */

import { request } from 'node:http';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayTo } from '../helpers/relay.js';
import { bundleLlm, serveLlm } from '../helpers/served-llm.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { tempDir } from '../setup/temp-registry.js';

let llm: ServedProcess;
let forwarder: Server;
let port = 0;
const served = tempDir('llm-browser-');
beforeAll(async () => {
  llm = await serveLlm(await bundleLlm(served), join(served, 'api.sock'));
  // What socat does: each loopback TCP connection piped to the service's socket.
  forwarder = relayTo(llm.socket);
  await new Promise<void>((done) => forwarder.listen(0, '127.0.0.1', done));
  port = (forwarder.address() as { port: number }).port;
}, 120_000);
afterAll(() => {
  forwarder?.close();
  llm?.kill();
});

/** One request through the forwarder with the headers a browser (or a program) sends. */
function viaLoopback(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => done({ status: res.statusCode!, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const chat = JSON.stringify({
  model: 'tiny-llama',
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  options: { num_predict: 1 },
});

describe('the llm service behind a loopback forwarder, reached from a web page', () => {
  it("refuses another site's page: a cross-site text/plain POST (no preflight) runs nothing", async () => {
    const before = llm.log();
    const r = await viaLoopback(
      'POST',
      '/api/chat',
      { host: `127.0.0.1:${port}`, origin: 'http://attacker.example', 'content-type': 'text/plain' },
      chat,
    );
    expect(r.status).toBe(403);
    // Ollama's error shape, saying why and what to do.
    expect(JSON.parse(r.text).error).toMatch(
      /web page of another site \(Origin "http:\/\/attacker\.example"\).*call it from a program/,
    );
    const openai = await viaLoopback(
      'POST',
      '/v1/chat/completions',
      { host: `localhost:${port}`, origin: 'https://attacker.example', 'content-type': 'text/plain' },
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
    );
    expect(openai.status).toBe(403);
    expect(JSON.parse(openai.text).error).toMatchObject({ type: 'permission_error' });
    // A sandboxed frame or a file's page sends Origin "null": not this machine's either.
    expect((await viaLoopback('GET', '/api/tags', { host: 'localhost', origin: 'null' })).status).toBe(403);
    // Less the start-up record's limits line ('300 s a generation'), which the service may write
    // after its socket answers, inside this test's window (a clean-clone CI run, 2026-12-07).
    const since = llm
      .log()
      .slice(before.length)
      .split('\n')
      .filter((line) => !line.includes(' llm: limits: '));
    expect(since.join('\n')).not.toMatch(/POST \/api\/chat 200|generat/);
  });

  it("refuses a request for another site's name (DNS rebinding: the page's own origin, read back)", async () => {
    const r = await viaLoopback('GET', '/api/tags', {
      host: `rebind.attacker.example:${port}`,
      origin: `http://rebind.attacker.example:${port}`,
    });
    expect(r.status).toBe(403);
    // Same-origin GETs send no Origin at all: the Host alone refuses it.
    const bare = await viaLoopback('GET', '/api/tags', { host: `rebind.attacker.example:${port}` });
    expect(bare.status).toBe(403);
    expect(JSON.parse(bare.text).error).toMatch(/Host "rebind\.attacker\.example:\d+" is not this machine/);
  });

  it("serves programs and this machine's own pages: no Origin, a loopback Origin, Host an address or localhost", async () => {
    for (const headers of <Record<string, string>[]>[
      { host: `127.0.0.1:${port}` },
      { host: `localhost:${port}`, origin: 'http://localhost:3000' },
      { host: `[::1]:${port}`, origin: 'http://127.0.0.1:8080' },
      { host: 'localhost' },
      { host: 'x' }, // a bare name, as clients on the socket send one
      { host: 'vectors.socket:6333' }, // the URL a module README gives Qdrant's clients for a socket
      { host: 'api.sock' },
    ])
      expect((await viaLoopback('GET', '/api/tags', headers)).status, JSON.stringify(headers)).toBe(200);
    // The official client given the forwarder's URL, as a URL-only tool is.
    const ollama = new Ollama({ host: `http://127.0.0.1:${port}` });
    expect((await ollama.list()).models.map((m) => m.name)).toEqual(['tiny-llama:latest']);
  });
});
