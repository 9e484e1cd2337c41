/**
 * The last engine calls that were only given up on the command's signal, not ended (69e7c6e4 left
 * them): the image inspect after a load (dockerode's Image.inspect takes no abortSignal) and the
 * exec of `service inspect`'s probe (create, start, the output's wait). On SIGTERM the command
 * stopped waiting, but the request went on: its connection, referenced, held the process after the
 * command was over on an engine that never answers. Now each ends at the signal with its reason,
 * its connection closed, as the other engine calls do since 1f0ca129. A fake engine on a unix
 * socket answers the steps before the one that hangs.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/core/errors.js';
import { openEngine } from '../../src/core/services/engine.js';
import { loadImageArchive } from '../../src/core/services/images.js';
import { execInService } from '../../src/core/services/inspect.js';
import { imageTagged } from '../helpers/test-images.js';
import { tempDir } from '../setup/temp-registry.js';

type Step = 'exec-create' | 'exec-start' | 'exec-output' | 'image-inspect';
let hangAt: Step = 'exec-create';
/** Called with its connection when the request that hangs has arrived. */
let arrived: (held: Socket) => void = () => {};
const sockets: Socket[] = [];
let id = '';

const dir = tempDir('bp-engine-signal-');
const socket = path.join(dir, 'podman.sock');
const engine = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  const url = req.url ?? '';
  const step: Step | undefined =
    req.method === 'POST' && /\/containers\/[^/]+\/exec$/.test(url)
      ? 'exec-create'
      : req.method === 'GET' && /\/images\/.+\/json/.test(url)
        ? 'image-inspect'
        : undefined;
  if (step && step === hangAt) return arrived(req.socket);
  req.on('end', () => {
    res.writeHead(req.method === 'POST' && url.includes('/exec') ? 201 : 200, {
      'content-type': 'application/json',
    });
    if (step === 'exec-create') res.end('{"Id":"e1"}');
    else if (url.includes('/images/load')) res.end(JSON.stringify({ stream: `Loaded image: ${id}\n` }));
    else res.end('{}');
  });
});
// The exec's start is hijacked (an HTTP upgrade): answered with 101 from the output step on.
engine.on('upgrade', (_req: IncomingMessage, sock: Socket) => {
  // Taken from the HTTP server, which no longer closes it when the client does (half-open).
  sock.on('end', () => sock.end());
  if (hangAt === 'exec-start') return arrived(sock);
  sock.write(
    'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
  );
  arrived(sock); // the output that never comes
});
engine.on('connection', (s: Socket) => {
  sockets.push(s);
  s.on('error', () => {});
});

let archive = '';
beforeAll(async () => {
  await new Promise<void>((r) => engine.listen(socket, r));
  // A real one-image archive (the install reads and judges it before the engine sees it).
  writeFileSync(path.join(dir, 'f'), 'engine signal');
  execFileSync('tar', ['-cf', path.join(dir, 'r.tar'), '-C', dir, 'f']);
  const tag = `localhost/bp-engine-signal-${process.pid}:1`;
  imageTagged(tag);
  id = execFileSync('podman', ['import', '-q', path.join(dir, 'r.tar'), tag], { encoding: 'utf8' }).trim();
  if (!id.startsWith('sha256:')) id = `sha256:${id}`;
  archive = path.join(dir, 'image.tar');
  execFileSync('podman', ['save', '-q', '--format', 'docker-archive', '-o', archive, tag]);
}, 60_000);
afterAll(() => {
  for (const s of sockets) s.destroy();
  engine.close();
});

/** Runs `call` until the fake engine holds the step `at`, signals, and checks how it ends. */
async function signalledAt(at: Step, call: (e: ReturnType<typeof openEngine>) => Promise<unknown>) {
  hangAt = at;
  const reached = new Promise<Socket>((r) => (arrived = r));
  const abort = new AbortController();
  const e = openEngine(socket, 'default', { signal: abort.signal, timeoutMs: 60_000, changeGraceMs: 60_000 });
  const settled = call(e).then(
    () => 'answered',
    (err: unknown) => err,
  );
  const held = await reached;
  const why = new InterruptedError('Interrupted by SIGTERM', undefined, 'SIGTERM');
  abort.abort(why);
  const outcome = await Promise.race([settled, sleep(2000).then(() => 'still waiting')]);
  expect(outcome).toBe(why);
  // Its connection is closed: nothing is left to hold the process.
  for (let i = 0; i < 40 && !held.closed; i++) await sleep(50);
  expect(held.closed, `${at}: its connection left open`).toBe(true);
}

describe("the command's signal ends the engine calls of an inspect and an exec", () => {
  for (const at of ['exec-create', 'exec-start', 'exec-output'] as const)
    it(`service inspect's probe (exec), waiting at ${at}`, async () => {
      await signalledAt(at, (e) => execInService(e, 'x', ['probe'], { timeoutMs: 60_000, maxBytes: 1024 }));
    });

  it("the loaded image's inspect", async () => {
    await signalledAt('image-inspect', (e) => loadImageArchive(e, archive, id));
  });
});
