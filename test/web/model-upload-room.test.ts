/**
 * The room an upload of "Import a model…" counts on, on a real box whose package cache is a small
 * tmpfs of its own (filled for real). Each upload's free-space check once saw the disk alone: two
 * uploads sent at once from one session each found the room for itself, and together passed the
 * 64 MiB reserve before their re-checks stopped them. Now the bytes promised to the uploads in
 * flight are counted against the free space, and given back at every end of an upload (received,
 * aborted, refused part-way). And the re-check after each 64 MiB written is seen stopping an upload
 * when another writer fills the disk meanwhile.
 */
import { existsSync, mkdirSync, readdirSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { boxDashboard, startUpload } from './box-dashboard.js';
import { waitFor } from './dashboard-harness.js';

const MiB = 1024 ** 2;
const mountTmpfs = tmpfsPerFile();
const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-upload-room-');

const cache = () => path.join(box.root, 'var/cache/blueprint');
const uploads = () => path.join(cache(), 'model-uploads');
const left = () => (existsSync(uploads()) ? readdirSync(uploads()) : []);
const sizes = () => left().map((f) => statSync(path.join(uploads(), f)).size);

/** An upload of `bytes` as the page's script sends it; the body is written by the caller. */
const start = (name: string, bytes: number) =>
  startUpload({ socket: box.dash.socket, cookie: box.cookie, csrf: box.csrf }, name, bytes);

it('counts an upload in flight against the room of the next: the second is refused before it writes, the room given back at every end', async () => {
  mkdirSync(cache(), { recursive: true });
  // 100 MiB: one upload of 8 MiB fits (its copy, the import's copy and the package: 24 MiB, and
  // the 64 MiB reserve); a second at the same time does not.
  mountTmpfs(cache(), '100m');
  const body = Buffer.alloc(8 * MiB, 1);
  const first = start('first', body.length);
  first.req.write(body.subarray(0, 64 * 1024));
  await waitFor('the first upload being written', () => sizes().includes(64 * 1024));

  const second = start('second', body.length);
  second.req.end(body);
  const refused = await second.answer;
  expect(refused.status).toBe(413);
  expect(refused.body).toMatch(/^Not enough free space to upload and import this model/);
  expect(refused.body).toContain('uploads in progress');
  // Refused before writing: the first's file alone.
  expect(sizes()).toEqual([64 * 1024]);

  // Aborted: its room is given back, and the next upload is received.
  first.answer.catch(() => {}); // the request destroyed: no answer
  first.req.destroy();
  await waitFor('the aborted upload removed', () => left().length === 0);
  const third = start('third', body.length);
  third.req.end(body);
  const taken = await third.answer;
  expect(taken.status).toBe(303);
  // Received (an import job, refused: zeros are not a GGUF): its room is given back too.
  expect(await box.jobEnd(String(taken.headers.location))).toContain('is not a GGUF');
  expect(left()).toEqual([]);
  const fourth = start('fourth', body.length);
  fourth.req.write(body.subarray(0, 64 * 1024));
  await waitFor('the fourth upload being written', () => sizes().includes(64 * 1024));
  fourth.answer.catch(() => {});
  fourth.req.destroy();
  await waitFor('the fourth upload removed', () => left().length === 0);
});

it('stops an upload at its 64 MiB re-check when the disk fills meanwhile, and gives its room back', async () => {
  // A fresh tmpfs over the first: 300 MiB, room for an upload of 70 MiB (210 MiB and the reserve).
  mountTmpfs(cache(), '300m');
  const body = Buffer.alloc(70 * MiB, 1);
  const up = start('big', body.length);
  up.req.write(body.subarray(0, MiB));
  await waitFor('the first MiB on disk', () => sizes().includes(MiB));
  // Another writer takes all but 68 MiB: the upload's next 63 MiB still fit (no ENOSPC), but at
  // 64 MiB written the 6 MiB left to send and the 64 MiB reserve do not.
  const fs = statfsSync(cache());
  writeFileSync(path.join(cache(), 'filler'), Buffer.alloc(fs.bavail * fs.bsize - 68 * MiB));
  up.req.end(body.subarray(MiB));
  const r = await up.answer;
  expect(r.status).toBe(413);
  expect(r.body).toMatch(/^Not enough free space to upload this model/);
  expect(left()).toEqual([]);
  // Refused part-way, its room is given back: with the filler gone, an upload of 40 MiB is taken
  // (120 MiB and the reserve), which the 146 MiB still promised to the big one would not leave.
  writeFileSync(path.join(cache(), 'filler'), '');
  const other = Buffer.alloc(40 * MiB, 1);
  const next = start('next', other.length);
  next.req.end(other);
  const taken = await next.answer;
  expect(taken.status).toBe(303);
  expect(await box.jobEnd(String(taken.headers.location))).toContain('is not a GGUF');
}, 60_000);
