/**
 * `repo publish` to an endpoint nothing answers at, or with no AWS credentials: the hints were a
 * box's (QA6's walk): 'Check the network and the repository URL (`bpkg repo list`)', a command of
 * the box that knows nothing of the publisher's --to, and '0 files went up before it, nothing after
 * it, and not index.json' where nothing went up at all. Now the hint names the --to URL and the
 * endpoint, and an upload that failed at its first file says nothing was uploaded. The real
 * executable; the endpoint a port nothing listens on.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { run, signedRepo } from '../helpers/pkg.js';
import { publisherEnv } from '../helpers/s3-server.js';

/** A loopback port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('repo publish to an endpoint that does not answer', () => {
  it("says to check the --to URL and the endpoint, not the box's repositories; nothing was uploaded", async () => {
    const { repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await run(['repo', 'publish', repo, '--to', 's3://bucket/x'], { env: publisherEnv(endpoint) });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('Cannot reach');
    expect(r.stderr).not.toContain('bpkg repo list');
    expect(r.stderr).toMatch(/^hint: .*--to/m);
    expect(r.stderr).not.toContain('0 files went up');
    expect(r.stderr).toContain('nothing was uploaded');
  });
});
