import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDeadlineMs, publishLimits, publishRepository } from '../../src/core/pkg/publish-remote.js';
import { configureTransports } from '../../src/core/pkg/transport.js';
import { builtRepo, serveRegistry, takesEverything } from '../helpers/publish-registry.js';

/**
 * `blueprint repo publish` had only the socket's idle timeout (30 s): a registry or bucket (or
 * whatever answers for it) that sends a byte every few seconds, never silent for that long, held
 * the publish for as long as it liked: a 201 whose body is dripped (read for the error text), a
 * token endpoint's answer, a redirect's next hop sending its headers a byte at a time. Each file
 * (and each manifest) now has a deadline of its own, a floor plus its size at a rate slower than
 * any real link, and the error names the file and says that the index was not sent.
 *
 * The socket timeout is 1 s here and every drip comes sooner, so it is never what ends a publish.
 */

const saved = { ...publishLimits };
const closers: (() => void)[] = [];
let repoDir = '';

beforeAll(async () => {
  repoDir = (await builtRepo()).dir;
  Object.assign(publishLimits, { baseMs: 1500, minBytesPerSecond: 1e9 });
});
afterAll(() => {
  Object.assign(publishLimits, saved);
  configureTransports({ timeoutMs: undefined });
  for (const c of closers) c();
});

/** Writes `text` one byte every 200 ms, on the socket itself when `raw` (headers and all). */
function drip(res: ServerResponse, text: string, raw = false): void {
  let i = 0;
  const out = raw ? res.socket! : res;
  const timer = setInterval(() => {
    if (out.destroyed) return clearInterval(timer);
    out.write(text[i++ % text.length]!);
  }, 200);
  res.on('close', () => clearInterval(timer));
  out.on('close', () => clearInterval(timer));
}

/** What a publish came to within `ms`: its error, 'published', or 'still publishing'. */
async function within(p: Promise<unknown>, ms = 8000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((r) => {
    timer = setTimeout(() => r('still publishing'), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => 'published',
        (e: unknown) => e,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A registry answering as `takesEverything`, but `slow` answers a request it picks instead. */
async function registry(slow: (method: string, url: string, res: ServerResponse) => boolean) {
  const seen: string[] = [];
  const uploads: Buffer[] = [];
  const takes = takesEverything(uploads);
  const r = await serveRegistry((req, body, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (!slow(req.method ?? '', req.url ?? '', res)) takes(req, body, res);
  });
  closers.push(r.close);
  configureTransports({ timeoutMs: 1000 });
  return { host: r.host, seen, uploads };
}

const manifestPuts = (seen: string[]) => seen.filter((s) => /^PUT .*\/manifests\//.test(s));

describe('repo publish to a registry that drips its answers', () => {
  it('a blob upload answered 201 with a dripped body: the file is named, the index never sent', async () => {
    let puts = 0;
    const reg = await registry((method, url, res) => {
      if (method !== 'PUT' || !url.includes('/blobs/uploads/') || ++puts > 1) return false;
      res.writeHead(201, { 'content-type': 'text/plain' });
      drip(res, 'stored ');
      return true;
    });
    const got = await within(publishRepository(repoDir, `oci://${reg.host}/blueprint/modules`));
    expect(got).toMatchObject({ code: 'publish-timeout' });
    const message = (got as Error).message;
    expect(message).toMatch(/pool\/good\/good_1\.0\.0_all\.bpkg /);
    expect(message).toContain('index.json');
    // Packages first, the index last: nothing after the dripped file went up, no manifest at all.
    expect(reg.uploads).toHaveLength(0);
    expect(manifestPuts(reg.seen)).toEqual([]);
  }, 20_000);

  it("a token endpoint that drips its token: the login's answer is under the same deadline", async () => {
    const reg = await registry((method, url, res) => {
      if (url.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        drip(res, ' ');
        return true;
      }
      if (method === 'HEAD') {
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="https://${hostOf(res)}/token",service="x"` })
          .end();
        return true;
      }
      return false;
    });
    const got = await within(publishRepository(repoDir, `oci://${reg.host}/blueprint/modules`));
    expect(got).toMatchObject({ code: 'publish-timeout' });
    expect((got as Error).message).toMatch(/pool\/good\/good_1\.0\.0_all\.bpkg /);
    expect(manifestPuts(reg.seen)).toEqual([]);
  }, 20_000);

  it('a HEAD redirected to a hop that sends its headers a byte at a time', async () => {
    const reg = await registry((method, url, res) => {
      if (method === 'HEAD' && url.includes('/blobs/sha256:')) {
        res.writeHead(307, { location: '/elsewhere' }).end();
        return true;
      }
      if (url === '/elsewhere') {
        drip(res, 'HTTP/1.1 200 OK\r\nx-slow: yes', true);
        return true;
      }
      return false;
    });
    const got = await within(publishRepository(repoDir, `oci://${reg.host}/blueprint/modules`));
    expect(got).toMatchObject({ code: 'publish-timeout' });
    expect(reg.seen).toContain('HEAD /elsewhere');
    expect(manifestPuts(reg.seen)).toEqual([]);
  }, 20_000);

  it("the repository's own manifest answered slowly: every file went up, the error names the manifest", async () => {
    const reg = await registry((method, url, res) => {
      if (method !== 'PUT' || !url.endsWith('/manifests/latest')) return false;
      res.writeHead(201);
      drip(res, '.');
      return true;
    });
    const got = await within(publishRepository(repoDir, `oci://${reg.host}/blueprint/modules`));
    expect(got).toMatchObject({ code: 'publish-timeout' });
    expect((got as Error).message).toMatch(/manifest/);
    expect((got as Error).message).toContain(':latest');
    expect(manifestPuts(reg.seen).at(-1)).toMatch(/\/manifests\/latest$/);
  }, 20_000);

  it('a registry that answers promptly is published to as before (control)', async () => {
    const reg = await registry(() => false);
    // Each file is announced before it is sent, with the time it is given (the CLI shows big ones).
    const events: string[] = [];
    const got = await within(
      publishRepository(
        repoDir,
        `oci://${reg.host}/blueprint/modules`,
        (rel) => events.push(`uploaded ${rel}`),
        (rel, size, ms) => events.push(`starting ${rel} ${ms === publishDeadlineMs(size)}`),
      ),
    );
    expect(got).toBe('published');
    expect(events.slice(0, 2)).toEqual([
      'starting pool/good/good_1.0.0_all.bpkg true',
      'uploaded pool/good/good_1.0.0_all.bpkg',
    ]);
    expect(events.at(-1)).toBe('uploaded index.json.asc');
    expect(manifestPuts(reg.seen).at(-1)).toMatch(/\/manifests\/latest$/);
  }, 20_000);
});

describe('repo publish to a bucket that drips its answers', () => {
  it('an object PUT answered with headers a byte at a time: the file is named, the index never sent', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        if (req.url?.includes('/pool/')) drip(res, 'HTTP/1.1 200 OK\r\nx-slow: yes', true);
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    configureTransports({
      timeoutMs: 1000,
      env: { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_ENDPOINT_URL_S3: endpoint },
    });
    const got = await within(publishRepository(repoDir, 's3://blueprint-repo/stable'));
    expect(got).toMatchObject({ code: 'publish-timeout' });
    expect((got as Error).message).toMatch(/pool\/good\/good_1\.0\.0_all\.bpkg /);
    expect(seen.some((s) => s.includes('index.json'))).toBe(false);
  }, 20_000);
});

function hostOf(res: ServerResponse): string {
  return `127.0.0.1:${res.socket!.localPort}`;
}
