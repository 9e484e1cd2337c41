/**
 * listenOnSocket (modules/kit/server/listen.ts): the module's unix socket gets the mode asked for
 * without a chmod of its public path. A chmod by name after listen() follows whatever is at that
 * name by then: a symlink put in the socket's place between bind and chmod would hand the
 * socket's mode to the file it points at. And between bind and chmod the socket would be reachable
 * with the mode the umask gave it. Both are attacked here through the server's 'listening' event,
 * which fires between the bind and anything listenOnSocket does after it.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, listenOnSocket } from '../../modules/kit/server/index.js';
import { SocketInUseError } from '../../modules/kit/server/listen.js';
import { readUntilClose } from '../helpers/kit-parse.js';
import { tempDir } from '../setup/temp-registry.js';
import { rawExchange } from './helpers.js';

const servers: Server[] = [];
function server(): Server {
  const s = createServer((c) => c.end('hi'));
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) if (s.listening) await new Promise((r) => s.close(r));
});

const mode = (path: string) => lstatSync(path).mode & 0o777;

/** Every entry of `dir` (and one level below) as others could find it: name, kind, mode. */
function scan(dir: string): { name: string; kind: string; mode: number }[] {
  const out: { name: string; kind: string; mode: number }[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    const kind = st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
    out.push({ name, kind, mode: st.mode & 0o777 });
    if (st.isDirectory())
      for (const inner of readdirSync(join(dir, name))) {
        const s2 = lstatSync(join(dir, name, inner));
        out.push({
          name: `${name}/${inner}`,
          kind: s2.isSocket() ? 'socket' : 'other',
          mode: s2.mode & 0o777,
        });
      }
  }
  return out;
}

/** What the server sends a client that says nothing. */
const hello = readUntilClose;

describe('listenOnSocket gives the socket its mode without a chmod of the public path', () => {
  it('never changes the mode of a file a symlink put in the socket path points at', async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, 'api.sock');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'secret');
    chmodSync(victim, 0o600);
    const s = server();
    // The attacker's move, right after the bind: the socket's name now points at the victim.
    s.once('listening', () => {
      try {
        unlinkSync(sock);
      } catch {
        // nothing at the public path yet
      }
      symlinkSync(victim, sock);
    });
    const result = await listenOnSocket(s, sock, 0o666).then(
      () => 'listening',
      (err: Error) => err,
    );
    expect(mode(victim)).toBe(0o600);
    expect(readlinkSync(sock)).toBe(victim);
    // The attacker's link is left alone and the server does not serve somewhere unseen.
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/api\.sock/);
    expect(s.listening).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['api.sock', 'victim']);
  });

  it('at no moment is the socket reachable with more than the mode asked for, whatever the umask', async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, 'api.sock');
    const s = server();
    let atBind: ReturnType<typeof scan> = [];
    s.once('listening', () => {
      atBind = scan(dir);
    });
    const umask = process.umask(0); // bind(2) would make the socket 0777
    try {
      await listenOnSocket(s, sock, 0o600);
    } finally {
      process.umask(umask);
    }
    expect(atBind.length).toBeGreaterThan(0);
    for (const e of atBind) {
      // Reachable by others: an entry of the folder itself. A socket there has at most the mode
      // asked; a folder there lets no one else in (what is inside it is then out of reach).
      if (e.name.includes('/')) continue;
      if (e.kind === 'socket') expect(e.mode & ~0o600, e.name).toBe(0);
      else expect([e.kind, e.mode & 0o077], e.name).toEqual(['dir', 0]);
    }
    expect(scan(dir)).toEqual([{ name: 'api.sock', kind: 'socket', mode: 0o600 }]);
    expect(await hello(sock)).toBe('hi');
  });

  it('defaults to 0666, replaces a stale socket, refuses a file, and removes its socket on close', async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, 'api.sock');
    // A stale socket, as a killed instance leaves it: nothing listens on it.
    const old = server();
    await new Promise<void>((r) => old.listen(join(dir, 'old.sock'), r));
    linkSync(join(dir, 'old.sock'), sock);
    await new Promise((r) => old.close(r));
    expect(lstatSync(sock).isSocket()).toBe(true);
    const s = server();
    await listenOnSocket(s, sock);
    expect(mode(sock)).toBe(0o666);
    expect(await hello(sock)).toBe('hi');
    await new Promise((r) => s.close(r));
    expect(readdirSync(dir)).toEqual([]);

    writeFileSync(sock, 'not a socket');
    await expect(listenOnSocket(server(), sock)).rejects.toThrow(/not a socket/);
    expect(statSync(sock).isFile()).toBe(true);
  });

  it("is what a kit server's listen() uses: the mode given, the socket gone after drain", async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, 'api.sock');
    const kit = createKitServer({
      log: createLog({ name: 'listen', write: () => undefined }),
      errorBody: (e) => ({ error: e.message }),
      routes: {},
    });
    const umask = process.umask(0);
    try {
      await kit.listen(sock, 0o640);
    } finally {
      process.umask(umask);
    }
    expect(scan(dir)).toEqual([{ name: 'api.sock', kind: 'socket', mode: 0o640 }]);
    const answer = await rawExchange(sock, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    await kit.drain(500);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes private folders a killed instance left, and nothing a link in their place points at', async () => {
    const dir = tempDir('kit-listen-');
    const elsewhere = tempDir('kit-listen-other-');
    writeFileSync(join(elsewhere, 's'), 'not ours to remove');
    // A folder left with its socket in it (killed between bind and link), and a look-alike link.
    mkdirSync(join(dir, '.bind-AbC123'), { mode: 0o700 });
    const old = server();
    await new Promise<void>((r) => old.listen(join(dir, 'old.sock'), r));
    linkSync(join(dir, 'old.sock'), join(dir, '.bind-AbC123', 's'));
    await new Promise((r) => old.close(r));
    // Left a minute ago: a young folder may be another instance's bind in progress.
    const ago = Date.now() / 1000 - 60;
    utimesSync(join(dir, '.bind-AbC123'), ago, ago);
    symlinkSync(elsewhere, join(dir, '.bind-XyZ789'));
    await listenOnSocket(server(), join(dir, 'api.sock'));
    expect(readdirSync(dir).sort()).toEqual(['.bind-XyZ789', 'api.sock']);
    expect(readdirSync(elsewhere)).toEqual(['s']);
  });

  it("leaves another instance's private folder: a young one, or an old one whose socket answers", async () => {
    const dir = tempDir('kit-listen-');
    // A young empty folder (an instance between mkdtemp and bind) and a young one with a dead socket.
    mkdirSync(join(dir, '.bind-Young1'), { mode: 0o700 });
    mkdirSync(join(dir, '.bind-Young2'), { mode: 0o700 });
    const dead = server();
    await new Promise<void>((r) => dead.listen(join(dir, 'dead.sock'), r));
    linkSync(join(dir, 'dead.sock'), join(dir, '.bind-Young2', 's'));
    await new Promise((r) => dead.close(r));
    // An old folder whose socket answers: an instance held up between its bind and its link.
    mkdirSync(join(dir, '.bind-Stuck1'), { mode: 0o700 });
    const stuck = server();
    await new Promise<void>((r) => stuck.listen(join(dir, '.bind-Stuck1', 's'), r));
    const ago = Date.now() / 1000 - 60;
    utimesSync(join(dir, '.bind-Stuck1'), ago, ago);
    await listenOnSocket(server(), join(dir, 'api.sock'));
    expect(readdirSync(dir).sort()).toEqual(['.bind-Stuck1', '.bind-Young1', '.bind-Young2', 'api.sock']);
    expect(await hello(join(dir, '.bind-Stuck1', 's'))).toBe('hi');
  });

  it('refuses the name of a socket a running instance answers on; takes over one whose process was killed (kill -9)', async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, 'api.sock');
    // Another process listening through listenOnSocket, as a module instance does.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createServer } from 'node:net';
         const { listenOnSocket } = await import(${JSON.stringify(join(import.meta.dirname, '../../modules/kit/server/listen.ts'))});
         await listenOnSocket(createServer((c) => c.end('child')), ${JSON.stringify(sock)});
         console.log('up');`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      expect(await hello(sock)).toBe('child');
      const second = server();
      const err = await listenOnSocket(second, sock).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SocketInUseError);
      expect(err).toMatchObject({ code: 'EADDRINUSE', hint: expect.stringMatching(/another instance/) });
      expect(second.listening).toBe(false);
      expect(await hello(sock)).toBe('child');
      expect(readdirSync(dir)).toEqual(['api.sock']);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode ? r(undefined) : child.once('exit', r),
      );
    }
    // Killed: its socket is stale (nothing answers), so the next instance starts on the same name.
    expect(lstatSync(sock).isSocket()).toBe(true);
    await listenOnSocket(server(), sock);
    expect(await hello(sock)).toBe('hi');
  });

  it('refuses a socket path longer than a unix socket address holds, instead of binding a cut name', async () => {
    const dir = tempDir('kit-listen-');
    const sock = join(dir, `${'a'.repeat(120 - dir.length)}.sock`);
    const s = server();
    await expect(listenOnSocket(s, sock)).rejects.toThrow(/too long/);
    expect(s.listening).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('works in a worker thread, where process.umask() cannot be set', async () => {
    const dir = tempDir('kit-listen-');
    const bundle = join(dir, 'listen.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '../../modules/kit/server/listen.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
    });
    const sock = join(dir, 'api.sock');
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      `import { createServer } from 'node:net';
       import { parentPort, workerData } from 'node:worker_threads';
       const { listenOnSocket } = await import(workerData.bundle);
       const s = createServer((c) => c.end('from a worker'));
       listenOnSocket(s, workerData.sock, 0o660).then(
         () => parentPort.postMessage('ok'),
         (e) => parentPort.postMessage(e.message),
       );
       parentPort.once('message', () => s.close(() => process.exit(0)));`,
    );
    const w = new Worker(script, { workerData: { bundle, sock } });
    try {
      expect(await new Promise((r) => w.once('message', r))).toBe('ok');
      expect(mode(sock)).toBe(0o660);
      expect(await hello(sock)).toBe('from a worker');
    } finally {
      w.postMessage('stop');
      await new Promise((r) => w.once('exit', r));
    }
  });
});
