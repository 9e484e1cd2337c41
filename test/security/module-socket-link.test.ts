/**
 * `blueprint rag ingest` and `rag ask` (app/module-api.ts) connect, as root, to the module's socket
 * at ROOT/run/blueprint/services/NAME/FILE and send it the admin's documents and questions. That
 * folder is the module's own (mounted read-write at its `socket.dir`), and connect() follows a
 * link at the name: a module with no network that put `api.sock -> /run/blueprint/services/evil/
 * evil.sock` there (an absolute link made inside its container resolves against the host's root)
 * had root deliver the admin's files to another module, one it was never wired to and that may
 * have outbound network. The socket is now pinned first: hard-linked into a folder only root can
 * write (link(2) links a link itself, never its target), judged there as a socket, and connected
 * to through that name, so a swap after the check changes nothing.
 */
import { chownSync, existsSync, mkdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openModuleApi } from '../../src/app/module-api.js';
import { writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { tempDir } from '../helpers/pkg.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An HTTP server on a unix socket that records every body it is sent and answers {}. */
async function serve(socket: string): Promise<string[]> {
  const got: string[] = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(socket, r));
  return got;
}

/** A box with module `rag` registered (with a health check when asked) and its socket folder. */
async function box(health?: { http: string; startTimeout: number }) {
  const root = tempDir('bp-sock-');
  const prefix = path.join(root, 'opt/blueprint/rag/1.0.0');
  mkdirSync(prefix, { recursive: true });
  await writeRegistration(root, {
    name: 'rag',
    version: '1.0.0',
    prefix,
    spec: parseService({
      image: { id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/rag', file: 'api.sock' },
      ...(health ? { health } : {}),
    }),
    approvals: { outboundNetwork: false },
    imageId: `sha256:${'a'.repeat(64)}`,
  });
  const dir = path.join(root, 'run/blueprint/services/rag');
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  chownSync(dir, 100_000, 100_000); // the module's user (the engine's `U` option)
  const evilDir = path.join(root, 'run/blueprint/services/evil');
  mkdirSync(evilDir, { recursive: true });
  return { root, socket: path.join(dir, 'api.sock'), evil: path.join(evilDir, 'evil.sock') };
}

const DOCUMENT = 'the admin’s private document';

describe('the admin’s requests reach only the module’s own socket', () => {
  it('a link at the socket’s name to another module’s socket is refused; that module receives nothing', async () => {
    const b = await box();
    const evil = await serve(b.evil);
    symlinkSync(b.evil, b.socket);
    const api = await openModuleApi(b.root, 'rag');
    const r = await api.request('POST', '/v1/documents', { body: { text: DOCUMENT } }).catch((e) => e);
    expect(r).toMatchObject({ code: 'module-socket-not-a-socket', hint: expect.stringMatching(/\S/) });
    // In backticks: the CLI gives a command there the --root typed (src/present/root-in-hints.ts).
    expect(r.hint).toContain('`blueprint service restart rag`');
    expect(evil).toEqual([]);
  });

  it('the real socket answers; nothing is left in the pinning folder', async () => {
    const b = await box();
    const got = await serve(b.socket);
    const api = await openModuleApi(b.root, 'rag');
    const r = await api.request('POST', '/v1/documents', { body: { text: DOCUMENT } });
    expect(r).toMatchObject({ status: 200, body: { ok: true } });
    expect(got).toEqual([`POST /v1/documents ${JSON.stringify({ text: DOCUMENT })}`]);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(b.root, 'run/blueprint/connect'))).toEqual([]);
  });

  it('a link swapped in after the socket was judged is not followed (the pinned name is connected to)', async () => {
    const b = await box();
    const good = await serve(b.socket);
    const evil = await serve(b.evil);
    const fs = (await import('node:fs')).default;
    // pinSocket's calls are synchronous (socket-pin.ts): the spy reaches its named imports once
    // node:fs's ES exports are synced with the object it replaces a function of.
    const { syncBuiltinESMExports } = await import('node:module');
    // The module's move, at the worst moment: once blueprint has judged what it pinned.
    const lstat = fs.lstatSync;
    const spy = vi.spyOn(fs, 'lstatSync').mockImplementation(((p: string, ...rest: []) => {
      const st = lstat(p, ...rest);
      if (String(p).includes('/connect/')) {
        unlinkSync(b.socket);
        symlinkSync(b.evil, b.socket);
      }
      return st;
    }) as typeof fs.lstatSync);
    syncBuiltinESMExports();
    try {
      const api = await openModuleApi(b.root, 'rag');
      await api.request('POST', '/v1/documents', { body: { text: DOCUMENT } });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      syncBuiltinESMExports();
    }
    expect(evil).toEqual([]);
    expect(good).toHaveLength(1);
  });

  it('no socket at all: the module is not running, as before', async () => {
    const b = await box();
    const api = await openModuleApi(b.root, 'rag');
    await expect(api.request('GET', '/v1/documents')).rejects.toMatchObject({ code: 'module-not-running' });
    // No run folder at all (nothing ever started): the same, and none is made.
    rmSync(path.join(b.root, 'run'), { recursive: true });
    await expect(api.request('GET', '/v1/documents')).rejects.toMatchObject({ code: 'module-not-running' });
    expect(existsSync(path.join(b.root, 'run'))).toBe(false);
  });
});

/**
 * The same link, for what blueprint asks a module by itself: the health probe (`service start`,
 * `status`, the console) and `GET /info` (`status`, `inspect`, the console's services screen), which
 * carries the module's own access token. Both connected through the name, so a module could have
 * root ask any socket of the host, with its token, and be judged healthy by another's answer.
 */
describe('health probes and /info reach only the module’s own socket', () => {
  async function probedBox() {
    const b = await box({ http: '/health', startTimeout: 5 });
    const { serviceDirs } = await import('../../src/core/services/policy.js');
    const data = serviceDirs(b.root, 'rag').dataDir;
    mkdirSync(data, { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(data, 'access-token'), 'the-modules-token');
    const { getRegistration } = await import('../../src/core/services/registry.js');
    return { ...b, reg: await getRegistration(b.root, 'rag') };
  }

  /** A server that answers every request 200 with an /info-shaped body, recording what it got. */
  async function answering(socket: string): Promise<string[]> {
    const got: string[] = [];
    const s = createServer((req, res) => {
      got.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"model":"not-the-modules"}');
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(socket, r));
    return got;
  }

  it('a link at the socket’s name: the probe is not healthy and /info is null; the linked socket gets nothing', async () => {
    const b = await probedBox();
    const { serviceDirs } = await import('../../src/core/services/policy.js');
    expect(path.dirname(b.socket)).toBe(serviceDirs(b.root, 'rag').socketDir);
    const evil = await answering(b.evil);
    symlinkSync(b.evil, b.socket);
    const { checkHealth } = await import('../../src/core/services/health.js');
    const { readModuleInfo } = await import('../../src/core/services/module-info.js');
    expect(await checkHealth(b.root, b.reg)).toBe(false);
    expect(await readModuleInfo(b.root, b.reg)).toBeNull();
    expect(evil).toEqual([]);
  });

  it('the module’s own socket: healthy, its /info read with its token; nothing left in the pinning folder', async () => {
    const b = await probedBox();
    const got = await answering(b.socket);
    const { checkHealth } = await import('../../src/core/services/health.js');
    const { readModuleInfo } = await import('../../src/core/services/module-info.js');
    expect(await checkHealth(b.root, b.reg)).toBe(true);
    expect(await readModuleInfo(b.root, b.reg)).toEqual({ model: 'not-the-modules' });
    expect(got).toEqual(['GET /health ', 'GET /info Bearer the-modules-token']);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(b.root, 'run/blueprint/connect'))).toEqual([]);
  });
});
