/**
 * Podman 4.3 answers a read with 500 "runtime error: invalid memory address or nil pointer
 * dereference" when the read races another request writing its image store: an image inspect beside
 * another package's image load (its log: "Recovering from API service endpoint handler panic", seen
 * failing test/cli/remove-stops' install while other tests loaded images). The engine recovered; the
 * read is asked again, once. A change is not asked again (it may have been made), and a read that
 * fails twice, or fails otherwise, fails as before.
 */
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, openEngine } from '../../src/core/services/engine.js';
import { tempDir } from '../setup/temp-registry.js';

const PANIC = {
  cause: 'runtime error: invalid memory address or nil pointer dereference',
  message: 'runtime error: invalid memory address or nil pointer dereference',
  response: 500,
};
let server: Server;
let sock: string;
/** How many times each path was asked, and how many of its first answers are the panic. */
const asked = new Map<string, number>();
const panics = new Map<string, number>();

beforeAll(async () => {
  sock = path.join(tempDir('bp-engine-panic-'), 'podman.sock');
  server = createServer((req, res) => {
    req.resume();
    const p = (req.url ?? '').replace(/^\/v4\.0\.0\/libpod/, '');
    const n = (asked.get(p) ?? 0) + 1;
    asked.set(p, n);
    const status = n <= (panics.get(p) ?? 0) ? 500 : p.includes('other') ? 500 : 200;
    const body =
      status === 200
        ? { Id: 'abc' }
        : p.includes('other')
          ? { message: 'no space left', response: 500 }
          : PANIC;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(() => server.close());

describe('a read the engine answered with its recovered panic', () => {
  it('is asked again once, and its second answer is the answer', async () => {
    panics.set('/images/a/json', 1);
    const got = await openEngine(sock).libpod<{ Id: string }>('GET', '/images/a/json');
    expect(got).toEqual({ Id: 'abc' });
    expect(asked.get('/images/a/json')).toBe(2);
  });

  it('fails as before when the second answer is the panic again (asked twice, not more)', async () => {
    panics.set('/images/b/json', 5);
    const err = await openEngine(sock)
      .libpod('GET', '/images/b/json')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'engine-failed' });
    expect((err as Error).message).toContain('runtime error');
    expect(asked.get('/images/b/json')).toBe(2);
  });

  it('a change answered so is not asked again (it may have been made)', async () => {
    panics.set('/containers/c/start', 1);
    const err = await openEngine(sock)
      .libpod('POST', '/containers/c/start')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine-failed' });
    expect(asked.get('/containers/c/start')).toBe(1);
  });

  it('another 500 on a read is not asked again', async () => {
    const err = await openEngine(sock)
      .libpod('GET', '/images/other/json')
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('no space left');
    expect(asked.get('/images/other/json')).toBe(1);
  });
});
