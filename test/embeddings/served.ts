/**
 * The embeddings service as the container runs it: the esbuild bundle in its own Node process, with
 * the container's open-file limit (1024, soft and hard, so Node cannot raise it), on a unix socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { bundleServer } from '../../modules/embeddings/package.js';
import { FIXTURE_MODELS } from './helpers.js';

const repo = resolve(import.meta.dirname, '../..');
// Inside node_modules so that the bundle's external onnxruntime-node resolves as in the image.
const cache = join(repo, 'node_modules/.cache/blueprint-embeddings-test');

export async function bundle(): Promise<string> {
  mkdirSync(cache, { recursive: true });
  const file = join(mkdtempSync(join(cache, 'b-')), 'server.mjs');
  await bundleServer(file);
  return file;
}

export interface Served {
  socket: string;
  pid: number;
  /** Everything the service wrote to stderr so far (its log). */
  log(): string;
  /** The exit code, once it exits. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export async function serve(serverFile: string, env: Record<string, string> = {}): Promise<Served> {
  const dir = mkdtempSync(join(cache, 's-'));
  const socket = join(dir, 'api.sock');
  let text = '';
  const child: ChildProcess = spawn('prlimit', ['--nofile=1024:1024', '--', process.execPath, serverFile], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BLUEPRINT_SOCKET: socket,
      EMBEDDINGS_MODEL_DIR: FIXTURE_MODELS,
      EMBEDDINGS_MODEL: 'tiny-bert',
      EMBEDDINGS_VERIFY: 'off',
      EMBEDDINGS_DEVICE: 'cpu',
      EMBEDDINGS_THREADS: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!/serving /.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the service did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    pid: child.pid!,
    log: () => text,
    exited,
    stop: async () => {
      let t: NodeJS.Timeout | undefined;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      }
      const code = await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Opens n connections that send nothing (an idle client, or slowloris before its first byte). */
export async function idleConnections(socketPath: string, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => {
        return new Promise<Socket>((done) => {
          const s = connect(socketPath);
          s.on('error', () => undefined);
          s.once('connect', () => done(s));
          s.once('close', () => done(s));
        });
      }),
    );
    out.push(...batch);
  }
  return out;
}

/** Milliseconds for a fresh connection to get GET /health answered, or Infinity on failure. */
export function healthLatency(socketPath: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((done) => {
    const t0 = performance.now();
    const s = connect(socketPath);
    let got = '';
    const finish = (ok: boolean) => {
      s.destroy();
      clearTimeout(timer);
      done(ok ? performance.now() - t0 : Number.POSITIVE_INFINITY);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('error', () => finish(false));
    s.on('data', (c) => {
      got += c.toString('latin1');
      if (/\r\n\r\n/.test(got)) finish(/^HTTP\/1\.1 200 /.test(got));
    });
    s.on('close', () => finish(/^HTTP\/1\.1 200 /.test(got)));
    s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
}

/** A raw HTTP/1.1 request (bytes as given); resolves with the status line's code and the body. */
export function rawRequest(
  socketPath: string,
  head: string,
  body: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const s = connect(socketPath);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', fail);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);
      done({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    s.write(
      `${head}\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    s.write(body); // no half-close: real clients keep their side open for the answer
  });
}
