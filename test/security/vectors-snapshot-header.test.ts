/**
 * A snapshot's header (ids, payloads, versions) is JSON, as large as the collection's payloads: a
 * recovered or uploaded snapshot's header was parsed with one JSON.parse and checked in one loop,
 * in one turn of the event loop, so a snapshot with a large header (here ~40 MB of payloads)
 * held /health and every request for as long. Now the header is parsed in slices (its arrays a
 * group of elements at a time, any other value bounded) and checked in slices. In process, on the
 * real store and the API on a socket; /health asked every 20 ms during the recovery, the longest
 * time from one answer to the next measured.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { createVectorsServer } from '../../modules/vectors/server/api.js';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';

function call(socket: string, agent: Agent, method: string, path: string, body?: unknown) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = data ? { 'content-type': 'application/json', 'content-length': data.length } : {};
    const req = request({ socketPath: socket, agent, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The median of three runs of `work`, in ms. */
function unitMs(work: () => unknown): number {
  const times = [0, 1, 2].map(() => {
    const t = performance.now();
    work();
    return performance.now() - t;
  });
  return times.sort((a, b) => a - b)[1]!;
}

it('/health is answered while a snapshot with a large header is recovered', async () => {
  const d = 4;
  // ~100 KB of payload a point (20,000 numbers and keys), ~40 MB of header at 400 points.
  const payload = (i: number) => ({ i, xs: Array.from({ length: 20_000 }, (_, j) => (i * 7 + j) % 1000) });
  // The header's size is measured, not fixed: 400 points' payloads take ~80 ms to JSON.parse on
  // the 2-core development VM, the old one-turn parse and check 0.4-1 s there, and the sliced
  // recovery ~1 s (25 probes). On a machine several times faster a fixed 400 would give fewer
  // than the 4 probes asked for below (the project's CI is faster), and a one-turn parse there
  // would pass the 250 ms bound, so the test could no longer tell. So the points are scaled
  // until their payloads take at least that 80 ms to parse here, with no cap (never fewer).
  const base = JSON.stringify(Array.from({ length: 400 }, (_, i) => payload(i)));
  const parseMs = unitMs(() => JSON.parse(base));
  const n = Math.ceil(400 * Math.max(1, 80 / parseMs));
  console.log(`header: 400 payloads parse in ${parseMs.toFixed(0)} ms; ${n} points`);
  const image = {
    name: 'x',
    config: { size: d, distance: 'Dot', m: 16, efConstruct: 100, fullScanThreshold: 10 },
    payloadSchema: {},
    capacity: n,
    ids: Array.from({ length: n }, (_, i) => i + 1),
    payloads: Array.from({ length: n }, (_, i) => payload(i)),
    versions: Array(n).fill(1),
    vectors: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i)),
  } as unknown as Parameters<typeof collectionFileParts>[0];
  const file = Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined));
  expect(file.length).toBeGreaterThan(30_000_000);

  const dir = tempDir('vec-header-');
  const db = join(dir, 'db');
  const s = await Store.open(db, quiet);
  const snaps = join(db, 'snapshots', Buffer.from('big').toString('hex'));
  mkdirSync(snaps, { recursive: true });
  writeFileSync(join(snaps, 'big.snapshot'), file);
  const kit = createVectorsServer(s, { log: quiet });
  const socket = join(dir, 'api.sock');
  await kit.listen(socket);
  const agent = new Agent({ keepAlive: true });
  try {
    let done = false;
    const recovered = call(socket, agent, 'PUT', '/collections/big/snapshots/recover', {
      location: pathToFileURL(join(snaps, 'big.snapshot')).href,
    }).finally(() => {
      done = true;
    });
    // In one process the client waits for a held loop as the server does: measured from one
    // answer to the next, less the 20 ms pause between them.
    let worst = 0;
    let probes = 0;
    let last = performance.now();
    while (!done) {
      expect((await call(socket, agent, 'GET', '/health')).status).toBe(200);
      const now = performance.now();
      worst = Math.max(worst, now - last - 20);
      last = now;
      probes++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await recovered;
    expect(r.status, r.text).toBe(200);
    expect(s.get('big')!.count).toBe(n);
    expect(s.get('big')!.payloads[s.get('big')!.labelOf(7)!]).toEqual(payload(6));
    console.log(`recovery: ${probes} /health probes, slowest ${worst.toFixed(0)} ms`);
    expect(probes).toBeGreaterThan(3);
    // Before: the header's parse and check were one turn (~0.4-1 s here), at least the time the
    // whole header takes to parse (n/400 units); the longest now is a slice. 250 ms, or half that
    // parse where the machine is that much slower as the test runs (a clean-clone CI beside qemu
    // image tests measured the unit at 703 ms, ~7x its quiet time, and a slice at 269 ms): a
    // one-turn parse still fails either bound.
    const bound = Math.max(250, (parseMs * n) / 400 / 2);
    expect(worst).toBeLessThan(bound);
  } finally {
    agent.destroy();
    await kit.drain(1000);
  }
}, 120_000);
