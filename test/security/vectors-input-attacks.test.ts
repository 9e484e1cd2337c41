/**
 * The vectors module (modules/vectors/server) against request bodies and URL names it must refuse
 * with a 400 rather than take in and fail on later:
 * - payloads nested deeper than the service can write: JSON.parse takes any depth, JSON.stringify
 *   and structured clone do not (~5,000 levels on the main thread). Before, a small upsert with one
 *   was a 500 that left the log's sequence with a gap, so a checkpoint (and SIGTERM's) waited for
 *   good; a large one (parsed in the body worker) stalled every later large body;
 * - collection names taken from the snapshot routes' URLs (recover, upload) without the rule the
 *   create route applies: a 2,000-byte name made every checkpoint fail (ENAMETOOLONG) from then
 *   on, replayed after every restart; control characters and "/../.." were taken as names.
 * The service runs as the container runs it (its bundle in its own Node process, served.ts).
 */
import { readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

const nested = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const hex = (s: string) => Buffer.from(s).toString('hex');

/** One request with a body given as raw text or bytes (a nested payload JSON.stringify cannot write). */
function send(
  socket: string,
  method: string,
  path: string,
  body: string | Buffer,
  type = 'application/json',
  ms = 10_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request(
      { socketPath: socket, method, path, headers: { 'content-type': type, 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(ms, () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A collection file as a snapshot upload sends it, from an image with `over` changed; a string in
 * `raw` replaces the JSON of that header field as it is (a payload JSON.stringify cannot write).
 */
function snapshotFile(over: Record<string, unknown>, raw: Record<string, string> = {}): Buffer {
  const image = {
    name: 'x',
    config: { size: 2, distance: 'Euclid', m: 16, efConstruct: 100, fullScanThreshold: 0 },
    payloadSchema: {},
    capacity: 2,
    ids: [1, 2],
    payloads: [undefined, undefined],
    versions: [1, 1],
    vectors: Float32Array.of(1, 2, 3, 4),
    ...over,
  } as unknown as Parameters<typeof collectionFileParts>[0];
  const parts = [...collectionFileParts(image)].filter((p) => p !== undefined);
  // MAGIC, header length, header, vectors, CRC: the header rebuilt with the raw fields.
  const rest = Buffer.concat(parts.slice(2, -1));
  const hlen = parts[1]!.readUInt32LE(0);
  const header = JSON.parse(rest.subarray(0, hlen).toString()) as Record<string, unknown>;
  let text = JSON.stringify(header);
  for (const [k, v] of Object.entries(raw)) text = text.replace(JSON.stringify(header[k]), v);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(Buffer.byteLength(text));
  const body = Buffer.concat([parts[0]!, len, Buffer.from(text), rest.subarray(hlen)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body));
  return Buffer.concat([body, crc]);
}

let file: string;
beforeAll(async () => {
  file = await bundle();
}, 120_000);

/** A fresh service with collection "a" (2 dims, one point); `stop` must exit 0 after a checkpoint. */
async function fresh(): Promise<{ s: Served; agent: Agent; dir: string }> {
  const dir = newDataDir();
  const s = await serve(file, dir);
  const agent = new Agent({ keepAlive: true });
  await callSocket(s.socket, agent, 'PUT', '/collections/a', { vectors: { size: 2, distance: 'Dot' } });
  await callSocket(s.socket, agent, 'PUT', '/collections/a/points', { points: [{ id: 1, vector: [1, 2] }] });
  return { s, agent, dir };
}

/** SIGTERM: the service checkpoints and exits 0 (before the fix: killed after 10 s, or exit 1). */
async function stopsCleanly(x: { s: Served; agent: Agent }) {
  x.agent.destroy();
  const code = await x.s.stop();
  expect(x.s.log()).not.toMatch(/checkpoint failed/);
  expect(x.s.log()).toMatch(/checkpoint at operation/);
  expect(code).toBe(0);
}

/** A raw upsert into collection a of point `id` whose payload is nested `depth` levels. */
const upsertNested = (x: { s: { socket: string } }, id: number, depth: number) =>
  send(
    x.s.socket,
    'PUT',
    '/collections/a/points',
    `{"points":[{"id":${id},"vector":[1,2],"payload":${nested(depth)}}]}`,
  );

describe('a payload nested deeper than the service can write is a 400, and nothing is wedged', () => {
  let x: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    x = await fresh();
  }, 60_000);

  it('a small upsert (parsed in place): 400, and the next write and search go on', async () => {
    const r = await upsertNested(x, 2, 6000);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/nested/);
    const ok = await callSocket(x.s.socket, x.agent, 'PUT', '/collections/a/points', {
      points: [{ id: 3, vector: [2, 1] }],
    });
    expect(ok.status).toBe(200);
  });

  it('a large upsert (parsed in the body worker): 400 at once; a large body after it is served', async () => {
    const pad = JSON.stringify(
      Array.from({ length: 8000 }, (_, i) => ({
        id: 1000 + i,
        vector: [1, 2],
        payload: { t: 'y'.repeat(20) },
      })),
    ).slice(1, -1);
    const r = await send(
      x.s.socket,
      'PUT',
      '/collections/a/points',
      `{"points":[${pad},{"id":5,"vector":[1,2],"payload":${nested(6000)}}]}`,
    );
    expect(r.status).toBe(400);
    const ok = await send(x.s.socket, 'PUT', '/collections/a/points', `{"points":[${pad}]}`);
    expect(ok.status).toBe(200);
  });

  it('set payload with one: 400', async () => {
    const r = await send(
      x.s.socket,
      'POST',
      '/collections/a/points/payload',
      `{"points":[1],"payload":${nested(6000)}}`,
    );
    expect(r.status).toBe(400);
  });

  it('a snapshot upload whose payloads hold one: 400, and no collection made', async () => {
    const form = snapshotFile({ payloads: [{ k: 1 }, null] }, { payloads: `[${nested(6000)},null]` });
    const r = await send(
      x.s.socket,
      'POST',
      '/collections/deep/snapshots/upload',
      form,
      'application/octet-stream',
    );
    expect(r.status).toBe(400);
    expect(
      (await callSocket(x.s.socket, x.agent, 'GET', '/collections/deep/exists')).json.result.exists,
    ).toBe(false);
  });

  it('a payload nested 64 levels is still taken and read back', async () => {
    const r = await upsertNested(x, 7, 64);
    expect(r.status).toBe(200);
    const got = await callSocket(x.s.socket, x.agent, 'GET', '/collections/a/points/7');
    expect(JSON.stringify(got.json.result.payload)).toBe(nested(64));
  });

  it('the service then checkpoints and stops cleanly', () => stopsCleanly(x), 30_000);
});

it('after a refused nested upsert and nothing else, SIGTERM still checkpoints and exits 0', async () => {
  const x = await fresh();
  const r = await upsertNested(x, 2, 6000);
  expect(r.status).toBe(400);
  await stopsCleanly(x);
}, 60_000);

describe('collection names in the snapshot routes follow the create rule', () => {
  const names = ['y'.repeat(2000), 'x'.repeat(120), '\x1b[31mred', '\u202egnp.exe', '/../..', '..', 'a\0b'];
  let x: Awaited<ReturnType<typeof fresh>>;
  let location: string;
  beforeAll(async () => {
    x = await fresh();
    const snap = await callSocket(x.s.socket, x.agent, 'POST', '/collections/a/snapshots');
    location = pathToFileURL(join(x.dir, 'snapshots', hex('a'), snap.json.result.name)).href;
  }, 60_000);

  it('recover into a name create refuses: 400, no collection made', async () => {
    for (const name of names) {
      const r = await callSocket(
        x.s.socket,
        x.agent,
        'PUT',
        `/collections/${encodeURIComponent(name)}/snapshots/recover`,
        {
          location,
        },
      );
      expect([name.slice(0, 12), r.status]).toEqual([name.slice(0, 12), 400]);
    }
    const list = await callSocket(x.s.socket, x.agent, 'GET', '/collections');
    expect(list.json.result.collections).toEqual([{ name: 'a' }]);
  });

  it('upload into such a name: 400, nothing written under snapshots/', async () => {
    for (const name of names.slice(1)) {
      const r = await send(
        x.s.socket,
        'POST',
        `/collections/${encodeURIComponent(name)}/snapshots/upload`,
        snapshotFile({}),
        'application/octet-stream',
      );
      expect([name.slice(0, 12), r.status]).toEqual([name.slice(0, 12), 400]);
    }
    expect(readdirSync(join(x.dir, 'snapshots'))).toEqual([hex('a')]);
  });

  it('create refuses control characters in a name too (they would reach the log raw)', async () => {
    for (const name of ['\x1b[31mred', '\u202egnp.exe', 'a\x7fb', 'a\u0085b']) {
      const r = await callSocket(x.s.socket, x.agent, 'PUT', `/collections/${encodeURIComponent(name)}`, {
        vectors: { size: 2, distance: 'Dot' },
      });
      expect([name, r.status]).toEqual([name, 400]);
    }
  });

  it("an uploaded snapshot's header is held to the API's rules: ids, payloads, versions, config, field types", async () => {
    const config = { size: 2, distance: 'Euclid', m: 16, efConstruct: 100, fullScanThreshold: 0 };
    const cases: [string, Record<string, unknown>][] = [
      ['object id', { ids: [{ a: 1 }, 2] }],
      ['negative id', { ids: [-5, 2] }],
      ['string payload', { payloads: ['str', null] }],
      ['number payload', { payloads: [5, null] }],
      ['versions not numbers', { versions: ['x', 1] }],
      ['unknown field type', { payloadSchema: { f: { type: 'nonsense' } } }],
      ['distance', { config: { ...config, distance: 'Manhattan' } }],
      [
        'size',
        { config: { ...config, size: 0 }, ids: [], payloads: [], versions: [], vectors: new Float32Array(0) },
      ],
      ['threshold', { config: { ...config, fullScanThreshold: -1 } }],
      // Collection metadata (Qdrant's, since 2026-12-07): a JSON object, not too deep, not huge.
      ['metadata not an object', { config: { ...config, metadata: 'x' } }],
      [
        'metadata nested too deep',
        { config: { ...config, metadata: JSON.parse(`${'{"a":'.repeat(150)}1${'}'.repeat(150)}`) } },
      ],
      ['metadata huge', { config: { ...config, metadata: { big: 'x'.repeat(300_000) } } }],
    ];
    for (const [what, over] of cases) {
      const r = await send(
        x.s.socket,
        'POST',
        '/collections/odd/snapshots/upload',
        snapshotFile(over),
        'application/octet-stream',
      );
      expect([what, r.status, r.text]).toEqual([what, 400, expect.stringMatching(/snapshot cannot be read/)]);
    }
    expect((await callSocket(x.s.socket, x.agent, 'GET', '/collections/odd/exists')).json.result.exists).toBe(
      false,
    );
    // The same file with good values is taken, its UUID ids in canonical form.
    const uuid = '{6A9F5E8C-1B7D-4F0A-9C3E-2D4B6A8F0E1C}';
    const r = await send(
      x.s.socket,
      'POST',
      '/collections/odd/snapshots/upload',
      snapshotFile({ ids: [uuid, 2], payloads: [{ k: 'v' }, null] }),
      'application/octet-stream',
    );
    expect(r.status).toBe(200);
    const p = await callSocket(
      x.s.socket,
      x.agent,
      'GET',
      '/collections/odd/points/6a9f5e8c-1b7d-4f0a-9c3e-2d4b6a8f0e1c',
    );
    expect(p.json.result.payload).toEqual({ k: 'v' });
  });

  it('recover into an allowed new name still works', async () => {
    const r = await callSocket(x.s.socket, x.agent, 'PUT', '/collections/b.copy-1/snapshots/recover', {
      location,
    });
    expect(r.status).toBe(200);
    expect(
      (await callSocket(x.s.socket, x.agent, 'GET', '/collections/b.copy-1')).json.result.points_count,
    ).toBe(1);
  });

  it('the service then checkpoints and stops cleanly', () => stopsCleanly(x), 30_000);
});

afterAll(() => undefined);
