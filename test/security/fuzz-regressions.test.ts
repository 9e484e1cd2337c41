import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../modules/embeddings/server/engine.js';
import { createApiServer } from '../../modules/embeddings/server/http.js';
import { ResponseParser } from '../../modules/kit/client/response-parser.js';
import { keepsAlive } from '../../modules/kit/server/framing.js';
import { BlueprintError, VerificationError } from '../../src/core/errors.js';
import { parseIndex, parseManifest } from '../../src/core/pkg/format.js';
import { joinUrl } from '../../src/core/pkg/transport.js';
import { parseService } from '../../src/core/services/schema.js';
import { specSchema, validate } from '../../src/core/setup/index.js';
import { checkArchive } from '../fuzz/support/check-archive.js';
import { health, sendRaw } from '../fuzz/support/http-client.js';
import type { RawEntry } from '../fuzz/support/tar.js';
import { KIT_LIMITS, parseAsClient, parseAsServer } from '../helpers/kit-parse.js';
import { sshPublicKey } from '../setup/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * Every crash or escape `npm run fuzz` found (test/fuzz), as a fixed, quick case. Each names the
 * target and seed that found it.
 */

const index = (over: Record<string, unknown>, pkg: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      format: 1,
      repository: 'main',
      version: 1,
      generated: '2026-11-01T00:00:00Z',
      expires: '2027-11-01T00:00:00Z',
      packages: [
        {
          name: 'hello',
          version: '1.0.0',
          arch: 'all',
          summary: 'hello',
          depends: [],
          size: 1,
          sha256: '0'.repeat(64),
          path: 'pool/hello/hello_1.0.0_all.bpkg',
          ...pkg,
        },
      ],
      ...over,
    }),
  );

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('package archive (archive target)', () => {
  it('a link through a link that climbs (d0/up -> .., esc -> d0/up/..) is refused or stays inside', async () => {
    // Found on 5df5124 by generation alone in 22 runs (seed 7, FUZZ_NO_CORPUS=1): esc led to dest/.
    await checkArchive({
      entries: [
        { path: 'payload/d0/up', type: '2', linkpath: '..' },
        { path: 'payload/esc', type: '2', linkpath: 'd0/up/..' },
      ],
      manifest: true,
      gzip: false,
    });
  });

  it('the same at depth 60, dangling (reads as payload/d0/.../d56/etc, leads out of dest)', async () => {
    const chain = Array.from({ length: 60 }, (_, i) => `d${i}`);
    const up = ['payload', ...chain, 'up'].join('/');
    const entries: RawEntry[] = [
      ...Array.from(
        { length: 61 },
        (_, i): RawEntry => ({ path: ['payload', ...chain.slice(0, i)].join('/'), type: '5' }),
      ),
      { path: up, type: '2', linkpath: Array(60).fill('..').join('/') },
      { path: 'payload/esc', type: '2', linkpath: `${chain.join('/')}/up/../../../../etc` },
    ];
    await checkArchive({ entries, manifest: true, gzip: true });
  });
});

describe('index (schemas target)', () => {
  it("a path with an encoded '/' or a broken escape is refused, not a TypeError at fetch time", () => {
    // Found on 5df5124 (seed 11): 'a%2fb...' passed the schema; fileURLToPath then threw a TypeError.
    for (const p of ['a%2fbpool/base/base_1.0.0_x86_64.bpkg', 'pool/%zz.bpkg', 'pool/%2e%2e/%2e%2e/x.bpkg']) {
      expect(refusal(() => parseIndex(index({}, { path: p })))).toBeInstanceOf(VerificationError);
      expect(refusal(() => joinUrl('file:///srv/repo', p))).toBeInstanceOf(BlueprintError);
    }
  });

  it('control characters in the repository name or a summary are refused', () => {
    // Found on 5df5124 (seeds 11, 12) within 100 runs: '\x1b]0;pwned\x07r', '\x00r'.
    expect(refusal(() => parseIndex(index({ repository: '\u001b]0;pwned\u0007r' })))).toBeInstanceOf(
      VerificationError,
    );
    expect(refusal(() => parseIndex(index({ repository: '\u0000r' })))).toBeInstanceOf(VerificationError);
    expect(
      refusal(() =>
        parseManifest({ name: 'a', version: '0.0.1', arch: 'all', summary: '\u001b]0;pwned\u0007' }),
      ),
    ).toBeInstanceOf(VerificationError);
  });

  it('a control character in generated/expires is refused (Date.parse skips it)', () => {
    // Found on 7fcf14f (seed 12): "2026-11-01T00:00:00\u0000Z" parses as a date and is accepted.
    for (const v of ['2026-11-01T00:00:00\u0000Z', '202\u00006-11-01T00:00:00Z', '2026-11-01\u001b[2J'])
      for (const field of ['generated', 'expires'])
        expect(refusal(() => parseIndex(index({ [field]: v })))).toBeInstanceOf(VerificationError);
  });
});

describe("manifest's service section (schemas target)", () => {
  const service = (over: Record<string, unknown>) => ({
    image: { id: `sha256:${'ab'.repeat(32)}` },
    network: 'loopback-socket',
    socket: { dir: '/run/x', file: 'x.sock' },
    ...over,
  });

  it('a memory size past any box (or past a float: Infinity bytes) is refused', () => {
    // Found on 5df5124 (seeds 11, 13): "1" + 400 zeros + "g" was accepted as Infinity bytes,
    // "10000000000000000000g" as 1.05e28 (finding 8).
    for (const memory of [`1${'0'.repeat(400)}g`, '10000000000000000000g', 2 ** 60])
      expect(refusal(() => parseService(service({ resources: { memory } })))).toBeInstanceOf(
        VerificationError,
      );
    expect(parseService(service({ resources: { memory: '1g' } })).resources.memory).toBe(1024 ** 3);
  });

  it('control characters in package and container paths are refused', () => {
    // Found on f4f8f52 (seed 632129387): image.archive "\u001b]0;pwned\u0007image.tar" was accepted.
    for (const over of [
      { image: { id: `sha256:${'ab'.repeat(32)}`, archive: '\u001b]0;pwned\u0007image.tar' } },
      { mounts: [{ source: 'models\u0000', target: '/models' }] },
      { data: '/var/lib/x\u009b2J' },
    ])
      expect(refusal(() => parseService(service(over)))).toBeInstanceOf(VerificationError);
  });

  it('control characters in a justification or in health.http are refused', () => {
    // Found on 7fcf14f (seeds 1, 12): both were accepted; health.http goes on an HTTP request line.
    expect(
      refusal(() =>
        parseService(service({ gpu: 'optional', justification: { gpu: '\u001b]0;pwned\u0007ok' } })),
      ),
    ).toBeInstanceOf(VerificationError);
    expect(refusal(() => parseService(service({ health: { http: '/\u0000health' } })))).toBeInstanceOf(
      VerificationError,
    );
    expect(refusal(() => parseService(service({ health: { http: '/health\r\nX: y' } })))).toBeInstanceOf(
      VerificationError,
    );
  });
});

describe('apply/setup files (setup target)', () => {
  const key = sshPublicKey('ops@fleet');

  it("OPEN: a module's memory that is not a size is a UsageError, not a TypeError", () => {
    // Found on b71bebf (seed 1): sizeField's bound check runs even when its regex failed, and
    // parseBytes dereferences a failed match: "Cannot read properties of null (reading '2')".
    for (const memory of ['\u00002g', 'xg', '1.2.3g'])
      expect(
        refusal(() =>
          validate(specSchema, { hostname: 'box', modules: [{ name: 'hello', resources: { memory } }] }, 'f'),
        ),
      ).toBeInstanceOf(BlueprintError);
  });

  it('an SSH key comment or a repository URL with control characters is refused', () => {
    // Found on b71bebf (seeds 2, 3): both accepted; the key line is written to authorized_keys and
    // shown by setup, the URL is shown by repo list.
    const withKey = { hostname: 'box', users: [{ name: 'admin', keys: [`${key} \u001b]0;pwned\u0007x`] }] };
    expect(refusal(() => validate(specSchema, withKey, 'f'))).toBeInstanceOf(BlueprintError);
    const withUrl = {
      hostname: 'box',
      repositories: [{ name: 'main', url: 'file:///\u001b]0;pwned\u0007srv/repo', key: 'k.asc' }],
    };
    expect(refusal(() => validate(specSchema, withUrl, 'f'))).toBeInstanceOf(BlueprintError);
  });
});

describe('embeddings HTTP API (http target)', () => {
  const failures: string[] = [];
  const log = Object.assign((line: string): void => void failures.push(line), {
    startup: () => undefined,
    event: (k: string, line: string) => void (/^5\d\d\b/.test(k) && failures.push(line)),
    flush: () => undefined,
  });
  const engine: Engine = {
    info: { model: 'fuzz', dimension: 2, maxTokens: 16, device: 'cpu', deviceReason: 'test' },
    embed: async (texts) => ({ vectors: texts.map(() => new Float32Array(2)), tokens: texts.map(() => 1) }),
    dispose: async () => undefined,
  };
  const dir = tempDir('bp-fuzz-reg-');
  const socket = path.join(dir, 'api.sock');
  let made: ReturnType<typeof createApiServer>;
  beforeAll(async () => {
    made = createApiServer(engine, {
      maxBatch: 4,
      maxBodyBytes: 4096,
      maxQueue: 4,
      maxInputChars: 256,
      log,
    });
    await made.listen(socket);
  });
  // The kit's own drain closes every connection and the listener (its server is node:net's, not node:http's).
  afterAll(() => made.drain(0));

  it('a client that leaves in the middle of its body is not a 500 "internal error: aborted"', async () => {
    // Found on 5df5124 (seed 4, a chunked request with a stray byte after it): the connection
    // died while the body was being read, and the server logged a 500 for what the client did.
    const body = '{"input":"chunked body"}';
    const chunked = `POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n\n`;
    // The same class, every time: a body announced longer than what comes, then the client hangs up.
    const cut = `POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"input":`;
    for (const raw of [chunked, cut]) {
      const reply = await sendRaw(socket, Buffer.from(raw), 300);
      await new Promise((r) => setTimeout(r, 50));
      for (const s of reply.statuses) expect(s).toBeLessThan(500);
      expect(failures).toEqual([]);
      expect(await health(socket)).toBe(200);
    }
  });
});

describe('kit HTTP/1.1 framing (response target)', () => {
  it('a chunk-size line of exactly 1024 bytes reads the same whole or a byte at a time, both sides', () => {
    // Found on 67cf1ae (seed 20261129, path "26:4"): the limit was checked as `> 1024` on the bytes
    // so far while the line's CRLF had not all come, so its CR alone tipped it over.
    const line = `2;${'e'.repeat(1022)}`;
    const answer = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nok\r\n0\r\n\r\n`;
    const request = `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nok\r\n0\r\n\r\n`;
    for (const count of [1, 2]) {
      expect(parseAsClient(answer, { count })).toEqual({
        answers: [expect.objectContaining({ body: 'ok' })],
      });
      expect(parseAsServer(request, { count })).toEqual({ body: 'ok', ended: 1 });
      // One byte more is refused, however it comes.
      const longer = answer.replace(line, `${line}e`);
      expect(parseAsClient(longer, { count }).error?.message).toMatch(/chunk-size line too long/);
    }
  });

  it('Connection: close is kept to in HTTP/1.0 too, beside keep-alive (RFC 9112 9.3)', () => {
    // Found on 67cf1ae: keepsAlive looked only for keep-alive in HTTP/1.0, so a kit client reused
    // a connection its server had said it would close, and the kit's server kept one open.
    for (const connection of ['keep-alive, close', 'close, keep-alive', 'Keep-Alive,CLOSE']) {
      const p = new ResponseParser(KIT_LIMITS);
      p.expect('GET');
      const r = p.push(
        Buffer.from(`HTTP/1.0 200 OK\r\nConnection: ${connection}\r\nContent-Length: 2\r\n\r\nok`),
      );
      expect(r?.keepAlive).toBe(false);
      expect(keepsAlive(true, connection)).toBe(false);
    }
    expect(keepsAlive(true, 'keep-alive')).toBe(true);
    expect(keepsAlive(true, undefined)).toBe(false);
    expect(keepsAlive(false, undefined)).toBe(true);
  });
});
