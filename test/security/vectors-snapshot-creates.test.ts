/**
 * Snapshot creates at once against the vectors service's memory. A create copies the collection
 * (Store.capture: its vectors, ids, payloads) and holds that copy until the file is written; the
 * route ran outside the kit's fair queue, so nothing bounded how many ran at once: captures take
 * turns at the write gate, but each copy made stayed in memory while the files were written, one
 * full copy of the collection per request in flight. A recover builds a whole collection from its
 * file the same way, each at once. Both now run one at a time (modules/vectors/server/snapshots.ts).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { collectionFileParts } from '../../modules/vectors/server/persist.js';
import { peakResidentMiB, resetPeakResident } from '../helpers/resident-memory.js';
import { callSocket } from '../vectors/served.js';
import { vectorsPerFile } from '../vectors/served-per-file.js';

const POINTS = 7_000;
const SIZE = 1_024; // 28 MiB of vectors
const CREATES = 16;

const s = vectorsPerFile({ keepAlive: true, maxSockets: 64 });
const { agent } = s;

function collectionFile(): Buffer {
  const vectors = new Float32Array(POINTS * SIZE);
  for (let i = 0; i < vectors.length; i++) vectors[i] = Math.random();
  const image = {
    name: 'big',
    config: { size: SIZE, distance: 'Dot', m: 16, efConstruct: 100, fullScanThreshold: 10 },
    payloadSchema: {},
    capacity: POINTS,
    ids: Array.from({ length: POINTS }, (_, i) => i + 1),
    payloads: new Array(POINTS).fill(undefined),
    versions: new Array(POINTS).fill(1),
    vectors,
  } as unknown as Parameters<typeof collectionFileParts>[0];
  return Buffer.concat([...collectionFileParts(image)].filter((p) => p !== undefined));
}

function post(path: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: s.socket,
        agent,
        method: 'POST',
        path,
        headers: body
          ? { 'content-type': 'application/octet-stream', 'content-length': body.length }
          : { 'content-length': 0 },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const put = (path: string, body: unknown) =>
  callSocket(s.socket, agent, 'PUT', path, body).then((r) => ({
    status: r.status,
    text: JSON.stringify(r.json),
  }));

/** Starts the service's peak resident memory (VmHWM) again from its resident memory now. */
const resetPeak = () => resetPeakResident(s.pid);
/** The service's peak resident memory so far, in MiB (VmHWM). */
const peakMiB = () => peakResidentMiB(s.pid);

it(`${CREATES} snapshot creates at once do not hold ${CREATES} copies of the collection`, async () => {
  expect((await post('/collections/big/snapshots/upload', collectionFile())).status).toBe(200);
  const info = await callSocket(s.socket, agent, 'GET', '/collections/big');
  expect(info.json.result.points_count).toBe(POINTS);
  resetPeak();
  const before = peakMiB();
  const answers = await Promise.all(
    Array.from({ length: CREATES }, () => post('/collections/big/snapshots')),
  );
  const grew = peakMiB() - before;
  // Each answered: made, or refused as busy (503, Retry-After) when too many wait.
  for (const a of answers) expect([200, 503]).toContain(a.status);
  expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
  // One copy (28 MiB) at a time, with room for the service's own churn. Before: all at once.
  expect(grew).toBeLessThan(4 * 28);
}, 180_000);

it(`${CREATES} recovers at once from a snapshot file do not build ${CREATES} collections side by side`, async () => {
  const made = await post('/collections/big/snapshots');
  expect(made.status).toBe(200);
  const name = JSON.parse(made.text).result.name;
  const location = `file://${join(s.dataDir, 'snapshots', Buffer.from('big').toString('hex'), name)}`;
  resetPeak();
  const before = peakMiB();
  const answers = await Promise.all(
    Array.from({ length: CREATES }, () => put('/collections/big/snapshots/recover', { location })),
  );
  const grew = peakMiB() - before;
  for (const a of answers) expect([200, 503]).toContain(a.status);
  expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
  expect(grew).toBeLessThan(4 * 28);
  const info = await callSocket(s.socket, agent, 'GET', '/collections/big');
  expect(info.json.result.points_count).toBe(POINTS);
}, 180_000);
