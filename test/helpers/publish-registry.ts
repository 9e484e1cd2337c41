/**
 * A registry for `blueprint repo publish` tests: HTTPS on 127.0.0.1 with a test CA of its own,
 * which the package transports are told to trust; and the built repository they publish.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import path from 'node:path';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { buildRepo, makeKey, makeSource, tempDir } from './pkg.js';
import { testCa } from './registry.js';

/** How the registry answers a request, once its body (`body`) has been read. */
export type RegistryAnswer = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/** Serves `answer` and trusts its CA; `host` is HOST:PORT for an `oci://` address. */
export async function serveRegistry(answer: RegistryAnswer): Promise<{ host: string; close(): void }> {
  const tls = testCa(tempDir('bp-registry-ca-'));
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => answer(req, Buffer.concat(parts), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  configureTransports({ ca: [tls.caPem] });
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => server.close(),
  };
}

/**
 * A registry that takes every upload: no blob is there yet (HEAD 404, after `onHead`), an upload
 * session is at …/blobs/uploads/u1, and the body of each blob upload is pushed onto `uploads`.
 */
export const takesEverything =
  (uploads: Buffer[], onHead?: () => void): RegistryAnswer =>
  (req, body, res) => {
    if (req.method === 'HEAD') {
      onHead?.();
      return void res.writeHead(404).end();
    }
    if (req.method === 'POST')
      return void res.writeHead(202, { location: '/v2/blueprint/modules/blobs/uploads/u1' }).end();
    if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/')) uploads.push(body);
    res.writeHead(201).end();
  };

/** A signed repository of one package, good 1.0.0, built in a fresh folder (`base/repo`). */
export async function builtRepo() {
  const base = tempDir();
  const key = await makeKey(path.join(base, 'key'));
  const dir = path.join(base, 'repo');
  await buildRepo(dir, key, [makeSource(path.join(base, 'src'), { name: 'good', version: '1.0.0' })]);
  return { base, dir, key };
}
