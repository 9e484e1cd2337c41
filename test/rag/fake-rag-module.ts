import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * For the tests of `blueprint rag` (the built executable) on its error paths and against hostile
 * answers: a temp root where `rag` is registered as the services layer writes it at install, and a
 * small unix-socket HTTP server standing in for the rag module on its socket (`rag-stopped` is
 * registered with nothing listening). `handler` answers each request; `seen` records them. The
 * server is started and closed by the calling test file's beforeAll/afterAll. The happy paths run
 * against the real rag server: test/rag/e2e.test.ts.
 */
export function fakeRagModule(prefix: string) {
  const root = tempDir(prefix);
  const socketDir = join(root, 'run/blueprint/services', 'rag');
  const seen: { method: string; url: string; type?: string; auth?: string; body: Buffer }[] = [];
  const fake = {
    root,
    seen,
    handler: (_req: IncomingMessage, _body: Buffer, _res: ServerResponse): void => {},
    rag: (...args: string[]) => run(['--root', root, 'rag', ...args]),
  };
  let server: Server | undefined;
  beforeAll(async () => {
    register(root, 'rag');
    register(root, 'rag-stopped'); // installed, nothing listening
    mkdirSync(socketDir, { recursive: true });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({
          method: req.method!,
          url: req.url!,
          body,
          ...(req.headers['content-type'] ? { type: req.headers['content-type'] } : {}),
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
        });
        fake.handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server!.listen(join(socketDir, 'api.sock'), r));
  });
  afterAll(() => server?.close());
  return fake;
}

/** A registration as the services layer writes it at install: what `blueprint rag` needs to find the socket. */
export function register(root: string, module: string) {
  const prefix = join(root, 'opt/blueprint', module, '0.1.0');
  mkdirSync(prefix, { recursive: true });
  const dir = join(root, 'var/lib/blueprint/services', module);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '0.1.0.json'),
    JSON.stringify({
      name: module,
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: { socket: { dir: '/run/rag', file: 'api.sock' }, network: 'loopback-socket' },
    }),
  );
}

export const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
