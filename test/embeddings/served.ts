/**
 * The embeddings service as the container runs it: the esbuild bundle in its own Node process, with
 * the container's open-file limit (1024, soft and hard, so Node cannot raise it), on a unix socket.
 */
import { connect, type Socket } from 'node:net';
import { bundleServer } from '../../modules/embeddings/package.js';
import { bundleInto, moduleCache, type ServedProcess, serveBundle } from '../helpers/served-module.js';
import { FIXTURE_MODELS } from './helpers.js';

// Inside node_modules so that the bundle's external onnxruntime-node resolves as in the image.
const cache = moduleCache('embeddings');

export const bundle = (): Promise<string> => bundleInto(cache, bundleServer);

export type Served = ServedProcess;

/**
 * The tiny BERT on one inference thread, unless `env` says otherwise; nofile 1024 as in the container.
 * Resolves once the start-up lines are all logged (the last, "limits: …", at most 10 s after the
 * socket answers): they follow "serving …", and on a loaded box a health check can come between.
 */
export async function serve(serverFile: string, env: Record<string, string> = {}): Promise<Served> {
  const served = await serveBundle(
    cache,
    serverFile,
    {
      EMBEDDINGS_MODEL_DIR: FIXTURE_MODELS,
      EMBEDDINGS_MODEL: 'tiny-bert',
      EMBEDDINGS_VERIFY: 'off',
      EMBEDDINGS_DEVICE: 'cpu',
      EMBEDDINGS_THREADS: '1',
      ...env,
    },
    ['prlimit', '--nofile=1024:1024', '--'],
  );
  for (let i = 0; i < 100 && !/ limits: /.test(served.log()); i++)
    await new Promise((r) => setTimeout(r, 100));
  return served;
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
