import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, storageErrorFrom } from '../core/errors.js';
import { reserveImportSpace } from '../core/models/import.js';
import { type Promised, promisedIn, uploadsHeldElsewhere } from '../core/models/upload-room.js';
import { freeSpace, notEnoughSpace, SPACE_RESERVE } from '../core/system/copy-hashed.js';
import { trackTemp } from '../core/system/exit-cleanup.js';
import { ensureDir } from '../core/system/fs.js';
import type { Layout } from '../core/system/paths.js';
import { alive } from '../core/system/process-alive.js';
import type { ModelUpload } from './models.js';

/**
 * The dashboard's upload of a GGUF (`models.receive`): the request's body, streamed to a new file
 * in a folder of root's alone, named by this process and a random UUID (never by anything the
 * request said), then handed to `models.import`, which reads it once. The file is untrusted bytes
 * like a USB stick's; it is ours to remove whatever happens.
 */

/** The free space is asked again after each this many bytes written. */
const RECHECK = 64 * 1024 ** 2;

const NAME = /^([0-9]+)-[0-9a-f-]{36}\.gguf$/;

export const uploadDir = (paths: Layout) => path.join(paths.cacheDir, 'model-uploads');

/** The folder, made 0700 if missing; refused unless it is a real folder of ours that no one else may enter. */
async function privateDir(dir: string): Promise<void> {
  await ensureDir(dir, 0o700);
  const st = await lstat(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0)
    throw new BlueprintError(
      `${dir} must be a folder owned by uid ${uid} with mode 0700 (it holds uploaded models)`,
      'not-private',
      `Remove it (\`rm -r ${dir}\`); the next upload makes it again. Nothing was imported.`,
    );
}

/** The upload files this process is receiving or holds for their import (until discarded). */
const receiving = new Set<string>();

/**
 * Uploads of dashboards that are gone (SIGKILL, power cut): removed by the next upload. A box booted
 * again gives the pids out again (often the dashboard the one it had), so a live pid is not enough:
 * one named by this process's own pid that it does not hold is an earlier process's, and one of
 * another pid is kept only while that process holds the room for it (upload-room.ts: its entry,
 * pid and start time, is written before the file is made). The folder is listed before the room's
 * account is read, so an upload starting meanwhile is never taken for a gone one; an account that
 * cannot be read leaves the live pids' files as they are. test/security/model-upload-pid-reused.
 */
async function pruneStale(paths: Layout, dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // By name (PID-UUID): another dashboard may spell the same root otherwise (a link to it).
  const held = await uploadsHeldElsewhere(paths).then(
    (owners) => new Set([...owners].map((o) => path.basename(o))),
    () => undefined,
  );
  for (const name of names) {
    const pid = Number(NAME.exec(name)?.[1]);
    if (!(pid > 0)) continue;
    const file = path.join(dir, name);
    const stale =
      pid === process.pid ? !receiving.has(file) : !alive(pid) || (held !== undefined && !held.has(name));
    if (stale) await unlink(file).catch(() => {});
  }
}

/**
 * At a dashboard's start: the uploads earlier dashboards left (killed without a reboot, out of
 * memory) removed now, not at the next upload, which an admin importing with the CLI never makes.
 * Only in the folder of root's alone that uploads are made in (no link, no one else's).
 */
export async function pruneUploads(paths: Layout): Promise<void> {
  const dir = uploadDir(paths);
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory() || st.uid !== (process.getuid?.() ?? 0) || (st.mode & 0o077) !== 0) return;
  await pruneStale(paths, dir);
}

const cut = (got: number, bytes: number) =>
  new BlueprintError(
    got > bytes
      ? `The upload sent more than the ${bytes} bytes it announced (Content-Length)`
      : `The upload ended after ${got} of ${bytes} bytes (the page closed, or the connection cut)`,
    'upload-cut',
    'Send the file again; nothing was imported.',
  );

export async function receiveUpload(
  paths: Layout,
  body: AsyncIterable<Uint8Array>,
  bytes: number,
  signal?: AbortSignal,
): Promise<ModelUpload> {
  const dir = uploadDir(paths);
  // Named by this process and a random UUID before anything is written: the promise's owner.
  const file = path.join(dir, `${process.pid}-${randomUUID()}.gguf`);
  // Refused before the folder or a byte is written (disk-full, said as the CLI's import says it),
  // counting the room promised to the uploads and imports in flight in every process of the box;
  // this one's promised under the same lock (upload-room.ts). What is left of it (the import's
  // copies) is kept until the upload is discarded: given back at the body's end, a second upload
  // was checked as if those copies were never coming.
  const room = await reserveImportSpace(paths, bytes, true, path.resolve(file));
  try {
    return await receiveInto(paths, dir, file, body, bytes, room, signal);
  } catch (err) {
    await room.release();
    throw err;
  }
}

async function receiveInto(
  paths: Layout,
  dir: string,
  file: string,
  body: AsyncIterable<Uint8Array>,
  bytes: number,
  room: Promised,
  signal?: AbortSignal,
): Promise<ModelUpload> {
  await privateDir(dir).catch((err) => {
    throw storageErrorFrom(err, 'making the folder for uploaded models');
  });
  // Held before the folder is pruned: another upload of this process keeps it meanwhile.
  receiving.add(file);
  await pruneStale(paths, dir); // its errors are passed over
  const out = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  ).catch((err: unknown) => {
    receiving.delete(file);
    throw err;
  });
  const untrack = trackTemp(file);
  const discard = async () => {
    await unlink(file).catch(() => {});
    receiving.delete(file);
    untrack();
    await room.release();
  };
  let got = 0;
  try {
    for await (const chunk of body) {
      signal?.throwIfAborted();
      got += chunk.length;
      // The request's own length is the bound: more than it said is refused, not written.
      if (got > bytes) throw cut(got, bytes);
      let at = 0;
      while (at < chunk.length) at += (await out.write(chunk, at, chunk.length - at)).bytesWritten;
      room.wrote(chunk.length);
      // Checked again as it is written (another writer may be filling the disk meanwhile): the rest
      // must still fit with the reserve kept, or it ends now rather than at a full disk. The room
      // promised to the others in flight is not this one's; the account is told what this one
      // still needs (the rest is on disk now).
      if (Math.floor(got / RECHECK) !== Math.floor((got - chunk.length) / RECHECK)) {
        await room.save();
        const free = (await freeSpace(dir)).bytes - ((await promisedIn(paths)) - room.bytes);
        if (free < bytes - got + SPACE_RESERVE)
          throw notEnoughSpace(
            'to upload this model',
            dir,
            bytes - got + SPACE_RESERVE,
            Math.max(0, free),
            'Free some space (`bpkg clean` deletes downloaded package archives) and send the file again; nothing was imported.',
          );
      }
    }
    if (got !== bytes) throw cut(got, bytes);
    await out.sync();
    await room.save();
  } catch (err) {
    await out.close().catch(() => {});
    await discard();
    // A request aborted mid-body ends its iteration with ECONNRESET ('aborted').
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') throw cut(got, bytes);
    throw storageErrorFrom(err, 'receiving the uploaded model');
  }
  await out.close();
  return { file, bytes, discard };
}
