import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * The registration and folders `bpkg install rag` leaves under `root` (what `blueprint rag` reads to
 * find the module's socket), with no container behind them: a test listens on the socket itself.
 * Returns the host folder the socket goes in (`run/blueprint/services/rag`; the file is `api.sock`).
 */
export function installedRag(root: string): string {
  const prefix = join(root, 'opt/blueprint/rag/0.1.0');
  mkdirSync(prefix, { recursive: true });
  const reg = join(root, 'var/lib/blueprint/services/rag');
  mkdirSync(reg, { recursive: true });
  writeFileSync(
    join(reg, '0.1.0.json'),
    JSON.stringify({
      name: 'rag',
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: { socket: { dir: '/run/rag', file: 'api.sock' }, network: 'loopback-socket' },
    }),
  );
  const socketDir = join(root, 'run/blueprint/services/rag');
  mkdirSync(socketDir, { recursive: true });
  return socketDir;
}

/**
 * `rag` installed under `root` (installedRag) and a stand-in for the module listening on its
 * socket, answering with `handler`: started by the calling file's beforeAll, closed (with any
 * connection still open) by its afterAll.
 */
export function ragStandIn(root: string, handler: RequestListener): void {
  let server: Server | undefined;
  beforeAll(async () => {
    const socketDir = installedRag(root);
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(join(socketDir, 'api.sock'), r));
  });
  afterAll(() => {
    server?.closeAllConnections(); // a request a test holds unanswered
    server?.close();
  });
}

/** The `source` parameter of a document's upload (`POST /documents?source=…`). */
export const sourceOf = (req: IncomingMessage) =>
  new URL(req.url ?? '/', 'http://x').searchParams.get('source') ?? '';
