/**
 * A snapshot upload (`POST /collections/{c}/snapshots/upload`) took the whole body into memory
 * (`ctx.bytes()`, up to the 32 MiB body limit, then a copy joined from its pieces) before writing it
 * to the upload's file: a few uploads at once held the kit's 96 MiB body budget, and each raised the
 * service's memory by about twice its size. Now the file part is streamed to a private file as it
 * arrives (ctx.bodyStream(): reads paused while a piece is written), hashed and CRC-checked as it is
 * written, and restored from that file. Measured by the service's peak resident memory (VmHWM,
 * reset through /proc/PID/clear_refs) around an upload at the limit (raised to 161 MiB here) whose
 * frame does not check out (so no collection is built: what is measured is the upload alone).
 * Before: +61.1 MiB for 30 MiB at the default limit, +323.4 MiB for 160 MiB; after: +25 to +61 MiB
 * for 160 MiB (garbage read buffers V8 has not collected yet).
 */
import { readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { residentMiB, takePeakResidentMiB } from '../helpers/resident-memory.js';
import { bundle, callSocket, newDataDir, type Served, serve } from '../vectors/served.js';

const MiB = 1024 * 1024;
const SIZE = 160 * MiB;
let s: Served;
let dataDir: string;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  dataDir = newDataDir();
  // Limits raised so that the upload is larger than what V8 lets garbage (each socket read is a
  // new 64 KiB buffer) grow to before it collects (64 MiB of external memory): held whole, it shows.
  s = await serve(await bundle(), dataDir, {
    VECTORS_MAX_BODY_BYTES: String(SIZE + MiB),
    VECTORS_MAX_BUFFERED_BYTES: String(3 * SIZE),
  });
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await s?.kill();
});

const peakMiB = () => takePeakResidentMiB(s.pid);
const rssMiB = () => residentMiB(s.pid);

/** Sends the body in 1 MiB writes, as a client streaming a file does. */
function upload(body: Buffer, contentType: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: s.socket,
        agent,
        method: 'POST',
        path: '/collections/up/snapshots/upload',
        headers: { 'content-type': contentType, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    let at = 0;
    const more = () => {
      while (at < body.length) {
        const ok = req.write(body.subarray(at, at + MiB));
        at += MiB;
        if (!ok) return void req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

it('an upload near the body limit does not raise the service memory by its size', async () => {
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const boundary = 'x-boundary-0123456789';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="a.snapshot"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  // Warm the route (the code paths, the snapshots folder) with a small refused upload first.
  expect((await upload(Buffer.alloc(64), 'application/octet-stream')).status).toBe(400);
  peakMiB();
  const base = rssMiB();
  const r = await upload(body, `multipart/form-data; boundary=${boundary}`).catch((e: Error) => ({
    status: 0,
    text: `${e.message}; log: ${s.log()}`,
  }));
  const grew = peakMiB() - base;
  console.log(`upload of 160 MiB: peak resident memory +${grew.toFixed(1)} MiB`);
  expect(r.status, r.text).toBe(400);
  expect(r.text).toMatch(/not a vectors collection file/);
  expect(grew).toBeLessThan(100);
  // Nothing is left behind in the snapshots folder.
  const dir = join(dataDir, 'snapshots', Buffer.from('up').toString('hex'));
  let left: string[] = [];
  try {
    left = readdirSync(dir);
  } catch {}
  expect(left).toEqual([]);
  // A fresh connection: the warm-up's, idle through the upload, is past the keep-alive timeout.
  const fresh = new Agent({ keepAlive: false });
  expect((await callSocket(s.socket, fresh, 'GET', '/health')).status).toBe(200);
  fresh.destroy();
}, 120_000);
