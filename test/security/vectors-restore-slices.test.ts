/**
 * A snapshot upload to the vectors module builds its collection's graph from the file's points
 * before it answers. The file sets the graph's parameters (within the API's own ranges: m up to
 * 128, ef_construct up to 4096), and the build ran in one go on the main thread: a 1 MB file of
 * 20,000 points took 64 s here, /health unanswered all along (32 MiB: far longer). The same points
 * upserted through the API go into the graph 10 ms at a time, between other requests; a restore now
 * does too. The service runs as its container runs it (its bundle in its own Node process).
 */
import { request } from 'node:http';
import { expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { callSocket } from '../vectors/served.js';
import { vectorsPerFile } from '../vectors/served-per-file.js';

const s = vectorsPerFile({ keepAlive: true });
const { agent } = s;

function upload(name: string, file: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: s.socket,
        method: 'POST',
        path: `/collections/${name}/snapshots/upload`,
        headers: { 'content-type': 'application/octet-stream', 'content-length': file.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(file);
  });
}

const d = 8;

/** A snapshot of `n` points with the API's largest graph parameters (m 128, ef_construct 4096). */
function snapshot(n: number): Buffer {
  const image = {
    name: 'x',
    config: { size: d, distance: 'Euclid', m: 128, efConstruct: 4096, fullScanThreshold: 0 },
    payloadSchema: {},
    capacity: n,
    ids: Array.from({ length: n }, (_, i) => i),
    payloads: Array(n).fill(undefined),
    versions: Array(n).fill(1),
    vectors: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i)),
  } as unknown as Parameters<typeof collectionFileParts>[0];
  return Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined));
}

/**
 * Uploads a snapshot of `n` points as collection `name`, asking /health and a count of another
 * collection every 100 ms until it is answered: how long it took and how long each probe waited.
 */
async function restore(name: string, n: number) {
  const file = snapshot(n);
  const started = Date.now();
  const uploaded = upload(name, file);
  await new Promise((r) => setTimeout(r, 500)); // the build is under way
  const waits: number[] = [];
  let done = false;
  void uploaded.then(() => {
    done = true;
  });
  while (!done && Date.now() - started < 120_000) {
    const t = Date.now();
    expect((await callSocket(s.socket, agent, 'GET', '/health')).status).toBe(200);
    expect((await callSocket(s.socket, agent, 'POST', '/collections/other/points/count', {})).status).toBe(
      200,
    );
    waits.push(Date.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(await uploaded).toBe(200);
  return { took: Date.now() - started, waits };
}

it('/health and searches are answered while an uploaded snapshot builds its graph', async () => {
  // The build's time depends on the machine: 10,000 points took 13-15 s on the 2-core development
  // VM at load 3-8 and 6.1 s there quiet, so a machine three times faster would build them in
  // under the 3 s asked for below (the 5,000 before: ~7 s loaded). A fixed size made the test
  // fail on a faster machine (the project's CI is one), so the size is measured: a build under
  // 3 s is done again with more points, scaled as the build's time grows (about as n², every
  // point compared with nearly all the others at ef_construct 4096), with no cap; each try is its
  // own collection. The checks below are on the last one, a build of 3 s or more.
  await callSocket(s.socket, agent, 'PUT', '/collections/other', { vectors: { size: 2, distance: 'Dot' } });
  let n = 10_000;
  let name = 'big';
  let r = await restore(name, n);
  for (let i = 2; r.took < 3000; i++) {
    console.log(`restore: ${n} points in ${r.took} ms, under 3 s: again with more`);
    n = Math.ceil(n * Math.max(1.25, 1.2 * Math.sqrt(3000 / Math.max(r.took, 500))));
    name = `big${i}`;
    r = await restore(name, n);
  }
  const { took, waits } = r;
  waits.sort((a, b) => a - b);
  const p90 = waits[Math.floor(waits.length * 0.9)];
  const worst = waits.at(-1)!;
  console.log(`restore: ${n} points, ${took} ms, ${waits.length} probes, p90 ${p90} ms, slowest ${worst} ms`);
  // The build took seconds; nothing else waited for it more than a moment. A build in one go kept
  // one probe waiting for all of it (worst ≈ took). Nine probes in ten answer within 500 ms; the
  // slowest within a quarter of the build, not 500 ms: beside busy loops a 2-core machine left the
  // service's process unscheduled for over a second once (1,116 ms of a 13 s build).
  expect(took).toBeGreaterThanOrEqual(3000);
  expect(waits.length).toBeGreaterThan(5);
  expect(p90).toBeLessThan(500);
  expect(worst).toBeLessThan(took / 4);
  const q = await callSocket(s.socket, agent, 'POST', `/collections/${name}/points/query`, {
    query: Array(d).fill(0),
    limit: 1,
  });
  expect(q.json.result.points).toHaveLength(1);
}, 180_000);
