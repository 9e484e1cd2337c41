/**
 * An upload's promise of room covers its own copy and the import's copies (upload-room.ts), but it
 * was given back as soon as the body was received, before the import made those copies: a second
 * upload sent while the first was still to be imported was checked as if the first's copies were
 * never coming, and together they could pass the 64 MiB reserve. Now the rest of the promise is
 * kept until the upload is discarded (the import's end), and the import of that upload does not
 * count its own promise against itself. On a real box whose package cache is a small tmpfs.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { receiveWhole } from '../helpers/model-upload.js';
import { tmpfsPerFile } from '../helpers/tmpfs.js';
import { boxDashboard, startUpload } from './box-dashboard.js';
import type { Answer } from './fake-ops.js';

const MiB = 1024 ** 2;
const mountTmpfs = tmpfsPerFile();
const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-upload-import-');

/** An upload of `body` as the page's script sends it, whole. */
function upload(name: string, body: Buffer): Promise<Answer> {
  const { req, answer } = startUpload(
    { socket: box.dash.socket, cookie: box.cookie, csrf: box.csrf },
    name,
    body.length,
  );
  req.end(body);
  return answer;
}

it("keeps an upload's room for its import's copies until the import ends", async () => {
  const cache = path.join(box.root, 'var/cache/blueprint');
  mkdirSync(cache, { recursive: true });
  // 100 MiB (the cache alone: the package manager's copy is on another disk): an upload of 8 MiB
  // asks 24 MiB (its copy, the import's copy and the package) and the 64 MiB reserve. Once the
  // first is received (8 MiB on disk), a second finds 92 MiB free: enough for it alone, not with
  // the first's 16 MiB still to come; and the first's import (16 MiB and the reserve) is not
  // refused for its own 16 MiB.
  mountTmpfs(cache, '100m');
  const body = Buffer.alloc(8 * MiB, 1);
  const models = openBox(box.root).models;
  const first = await receiveWhole(models, body);
  try {
    const second = await upload('second', body);
    expect(second.status).toBe(413);
    expect(second.body).toMatch(/^Not enough free space to upload and import this model/);
    expect(second.body).toContain('uploads in progress');
    // The first's own import is not refused for its own promise (zeros are no GGUF: refused after).
    await expect(models.import(first.file, { name: 'first' })).rejects.toThrow(/is not a GGUF/);
  } finally {
    await first.discard();
  }
  // Its import over and its file discarded: the room is given back, and the next is received.
  const third = await upload('third', body);
  expect(third.status).toBe(303);
  expect(await box.jobEnd(String(third.headers.location))).toContain('is not a GGUF');
}, 60_000);
