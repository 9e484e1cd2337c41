/**
 * An S3-protocol server for the tests (s3rver, on 127.0.0.1 and a free port, its files in a temp
 * folder) with the bucket `blueprint-repo`, as the repository publish and read tests use it.
 */
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import S3rver from 's3rver';
import { tempDir } from './pkg.js';
import { freePort } from './registry.js';

export async function startS3rver(): Promise<{ server: S3rver; endpoint: string }> {
  const port = await freePort();
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: tempDir('bp-s3rver-'),
    configureBuckets: [{ name: 'blueprint-repo', configs: [] }],
  });
  await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

/** Passes `req` on to the S3 server at `endpoint` and its answer back (a test proxy's way through). */
export function forwardTo(endpoint: string, req: IncomingMessage, res: ServerResponse): void {
  const up = new URL(endpoint);
  const out = request(
    { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(out);
}
