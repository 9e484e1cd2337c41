/**
 * An S3-protocol server for the tests (s3rver, on 127.0.0.1 and a free port, its files in a temp
 * folder) with the bucket `blueprint-repo`, as the repository publish and read tests use it.
 */
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
