/**
 * Snapshot files of the vectors module are as large as the collections they hold (a collection
 * near half the 2 GiB limit makes a snapshot near 1 GiB), and listing (its checksum) and download
 * read each one whole into the service's memory: one client's download or list of a large snapshot
 * was an out-of-memory kill of the whole service. Now list reads a checksum kept beside the file
 * (or hashes the file a chunk at a time), and download streams the file from one opened descriptor
 * with backpressure. Measured here by the service process's peak resident memory (VmHWM, reset
 * through /proc/PID/clear_refs before each step) around a 256 MiB snapshot file: before, list and
 * download each raised it by the file's size (+160.7 and +160.1 MiB with a 160 MiB file).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { residentMiB, takePeakResidentMiB } from '../helpers/resident-memory.js';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
let s: Served;
let dataDir: string;
let hash: string;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  dataDir = newDataDir();
  s = await serve(await bundle(), dataDir);
  await callSocket(s.socket, agent, 'PUT', '/collections/snap', { vectors: { size: 4, distance: 'Dot' } });
  // A large snapshot file where the service keeps them (its contents are not read by list or download).
  const dir = join(dataDir, 'snapshots', Buffer.from('snap').toString('hex'));
  mkdirSync(dir, { recursive: true });
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i++) block[i] = (i * 2654435761) >>> 24;
  const h = createHash('sha256');
  const fd = openSync(join(dir, 'big.snapshot'), 'w');
  for (let written = 0; written < SIZE; written += MiB) {
    block[0] = written / MiB; // no two blocks alike
    writeSync(fd, block);
    h.update(block);
  }
  closeSync(fd);
  hash = h.digest('hex');
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

/** The service's peak resident memory since the last reset, in MiB; then reset it. */
const peakMiB = () => takePeakResidentMiB(s.pid);
const rssMiB = () => residentMiB(s.pid);

it('listing a large snapshot gives its checksum without reading it into memory', async () => {
  peakMiB();
  const base = rssMiB();
  const list = await callSocket(s.socket, agent, 'GET', '/collections/snap/snapshots');
  expect(list.status).toBe(200);
  expect(list.json.result).toContainEqual(
    expect.objectContaining({ name: 'big.snapshot', size: SIZE, checksum: hash }),
  );
  const grew = peakMiB() - base;
  console.log(`list: peak resident memory +${grew.toFixed(1)} MiB`);
  expect(grew).toBeLessThan(16);
}, 60_000);

it('a download streams the file (content-length, the same bytes), also to a client that reads slowly', async () => {
  peakMiB();
  const base = rssMiB();
  const got = await new Promise<{ status: number; length: string | undefined; hash: string; bytes: number }>(
    (resolve, reject) => {
      const req = request(
        { socketPath: s.socket, agent, method: 'GET', path: '/collections/snap/snapshots/big.snapshot' },
        (res) => {
          const h = createHash('sha256');
          let bytes = 0;
          let paused = false;
          res.on('data', (c: Buffer) => {
            h.update(c);
            bytes += c.length;
            if (!paused) {
              // A client that stops reading for a while: the service must wait, not buffer the file.
              paused = true;
              res.pause();
              setTimeout(() => res.resume(), 1500);
            }
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              length: res.headers['content-length'],
              hash: h.digest('hex'),
              bytes,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
  expect(got.status).toBe(200);
  expect(got.length).toBe(String(SIZE));
  expect(got.bytes).toBe(SIZE);
  expect(got.hash).toBe(hash);
  // One buffer, refilled once the socket took it (with a new buffer a chunk, freed only at V8's next
  // collection, the peak grew by 57-66 MiB).
  const grew = peakMiB() - base;
  console.log(`download: peak resident memory +${grew.toFixed(1)} MiB`);
  expect(grew).toBeLessThan(16);
  // The connection carries on.
  expect((await callSocket(s.socket, agent, 'GET', '/collections/snap/exists')).json.result.exists).toBe(
    true,
  );
}, 60_000);

it('a snapshot made by the service keeps its checksum beside it; the list gives the same', async () => {
  const made = await callSocket(s.socket, agent, 'POST', '/collections/snap/snapshots');
  expect(made.status).toBe(200);
  const { name, checksum } = made.json.result as { name: string; checksum: string };
  const file = join(dataDir, 'snapshots', Buffer.from('snap').toString('hex'), name);
  expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(checksum);
  expect(readFileSync(`${file}.checksum`, 'utf8').trim()).toBe(checksum);
  const list = await callSocket(s.socket, agent, 'GET', '/collections/snap/snapshots');
  expect(list.json.result).toContainEqual(expect.objectContaining({ name, checksum }));
  expect((await callSocket(s.socket, agent, 'DELETE', `/collections/snap/snapshots/${name}`)).status).toBe(
    200,
  );
  expect(() => readFileSync(`${file}.checksum`)).toThrow(/ENOENT/);
});

it('a link named as a snapshot is not followed: 404, not the file it points at', async () => {
  const dir = join(dataDir, 'snapshots', Buffer.from('snap').toString('hex'));
  writeFileSync(join(dataDir, 'secret'), 'not a snapshot');
  symlinkSync(join(dataDir, 'secret'), join(dir, 'link.snapshot'));
  const got = await callSocket(s.socket, agent, 'GET', '/collections/snap/snapshots/link.snapshot');
  expect(got.status).toBe(404);
  expect(got.json.status.error).toMatch(/not found/);
  // Nor listed (before, the list followed it: the target's size and checksum).
  const listed = await callSocket(s.socket, agent, 'GET', '/collections/snap/snapshots');
  expect(listed.status).toBe(200);
  expect(listed.json.result.map((x: { name: string }) => x.name)).not.toContain('link.snapshot');
});
