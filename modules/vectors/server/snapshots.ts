/**
 * Collection snapshots (Qdrant's create, list, download, delete, recover from a file:// location
 * inside the snapshots folder, and upload). A snapshot is the collection file of persist.ts, written
 * tmp + fsync + rename under DATA/snapshots/HEX(collection)/, its SHA-256 beside it in NAME.checksum
 * (as Qdrant keeps it), so that a list reads no snapshot and a download streams one (snapshot-files.ts).
 * Restoring replaces the collection and checkpoints before answering, so the restore never depends
 * on the snapshot file staying there.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busy, FairQueue, HttpError, type RequestContext } from '../../kit/server/index.js';
import { jsonBody, need, type RouteTable } from './api.js';
import { ownerOf } from './consumer-purge.js';
import { bad, body, checkCollectionName } from './parse.js';
import { fsyncAsync, writeCollectionFile } from './persist.js';
import { type ByteSource, buildSnapshot, openFileSource } from './snapshot-build.js';
import { describe, openSnapshot, writeChecksum } from './snapshot-files.js';
import { receiveUpload, UploadFrameError } from './snapshots-upload.js';
import type { Store } from './store.js';

const hex = (s: string) => Buffer.from(s).toString('hex');
const nameRe = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.snapshot$/;

/**
 * Creates and recovers hold a whole collection in memory (a create its copy until the file is
 * written, a recover the collection it builds from a file of any size), and ran outside any queue:
 * 16 creates at once of a 28 MiB collection held 390 MiB (test/security/vectors-snapshot-creates),
 * so enough of them outgrew any container. They now run one at a time, taking turns between
 * clients (the kit's FairQueue, by ctx.client, as its own queue does); a few more wait, beyond
 * that 503 + Retry-After. An upload's restore takes its turn there too: uploads are streamed to
 * files (snapshots-upload.ts), no longer held by the kit's body budget, so that no longer bounds
 * how many build at once; and at most SNAPSHOT_WORK_WAITING are received at once (files on disk).
 */
export const SNAPSHOT_WORK_WAITING = 4;

export function snapshotRoutes(store: Store): RouteTable {
  const root = join(store.dir, 'snapshots');
  const copies = new FairQueue({ concurrency: 1, maxQueued: SNAPSHOT_WORK_WAITING, maxPerKey: 2 });
  // Held (ctx.hold): a request waiting here, outside the kit's queue, with no traffic for the
  // kit's idleTimeoutMs was otherwise closed by its idle sweep and its create or recover dropped.
  // A consumer's token revoked while it waits (behind a big collection's copy: seconds) is refused
  // when its turn comes, as in the kit's queue: otherwise a removed consumer's restore ran after its
  // purge, owned by it and dated after the purge record (test/security/vectors-token-revoked-in-snapshot-queue).
  const inTurn = <T>(ctx: RequestContext, work: () => Promise<T>) =>
    ctx.hold(copies.run(ctx.req.socket, ctx.judged(work), ctx.signal, ctx.client));
  const dirOf = (c: string) => join(root, hex(c));
  /** Uploads being received now (each a file being written). */
  let receiving = 0;
  // Plain files only: a link or anything else named as a snapshot is neither listed nor sent.
  const list = (c: string) => {
    try {
      return readdirSync(dirOf(c), { withFileTypes: true })
        .filter((e) => e.isFile() && nameRe.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  };

  /** A snapshot of collection `c` now: copied (writes held meanwhile), then written. */
  async function create(c: string) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${hex(c).slice(0, 64)}-${stamp}-${process.hrtime.bigint() % 1000000n}.snapshot`;
    // Captured now (the collection as of this request), written chunk by chunk off the loop.
    const dir = dirOf(c);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Hashed as it is written: the file is not read back for its checksum.
    const hash = createHash('sha256');
    // Copied a slice at a time, writes held back meanwhile (Store.capture); dropped meanwhile: 404.
    const image = await store.capture(c);
    if (!image) throw new HttpError(404, `Not found: Collection \`${c}\` doesn't exist!`);
    try {
      await writeCollectionFile(join(dir, `${name}.tmp`), image, undefined, hash);
      renameSync(join(dir, `${name}.tmp`), join(dir, name));
      await writeChecksum(dir, name, hash.digest('hex'));
      await fsyncAsync(dir);
    } catch (err) {
      // A full disk took part of it: nothing of this snapshot is left (none is listed half made).
      for (const f of [`${name}.tmp`, name, `${name}.checksum.tmp`, `${name}.checksum`])
        rmSync(join(dir, f), { force: true });
      throw err;
    }
    return describe(dir, name);
  }

  /**
   * Builds the snapshot's collection from `src` (read once: what is checked is what is restored),
   * then swaps it in through the log. With `checksum`, the SHA-256 of the very bytes built from
   * must be it; nothing of the collection there now changes unless the whole file checked out.
   */
  async function restore(ctx: RequestContext, c: string, file: string, src: ByteSource, checksum?: string) {
    const signal = ctx.signal;
    // Built (and so checked) before it is logged, a slice at a time (buildSnapshot); the log's
    // restore then takes this very collection instead of building it again (a replay builds it
    // from the file).
    const op = { t: 'restore', name: c, file, owner: ownerOf(ctx) } as const;
    let built: Awaited<ReturnType<typeof buildSnapshot>>;
    try {
      built = await buildSnapshot(src, c, signal);
    } catch (err) {
      throw bad(`the snapshot cannot be read: ${(err as Error).message}`);
    } finally {
      await src.close();
    }
    if (checksum !== undefined && built.sha256 !== checksum) {
      built.collection.dispose();
      throw bad('Snapshot checksum mismatch');
    }
    store.prebuilt.set(op, built.collection);
    try {
      await store.commit(op);
    } finally {
      // Taken when applied; dropped here (its graph too) if the log refused it.
      store.prebuilt.get(op)?.dispose();
      store.prebuilt.delete(op);
    }
    await store.checkpoint();
    return true;
  }

  return [
    [
      'POST',
      /^\/collections\/([^/]+)\/snapshots$/,
      (ctx, [c]) => {
        need(store, c!);
        return inTurn(ctx, () => create(c!));
      },
    ],
    [
      'GET',
      /^\/collections\/([^/]+)\/snapshots$/,
      async (_ctx, [c]) => {
        need(store, c!);
        const all = [];
        for (const f of list(c!)) all.push(await describe(dirOf(c!), f));
        return all;
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/snapshots\/recover$/,
      async (ctx, [c]) => {
        checkCollectionName(c!);
        const o = body(
          await jsonBody(ctx),
          ['location', 'priority', 'checksum', 'api_key'],
          'recover snapshot',
        );
        if (typeof o.location !== 'string') throw bad('"location" must be a file:// URL of a snapshot');
        if (!o.location.startsWith('file://'))
          throw bad(
            'only file:// locations under the snapshots folder can be recovered (this service has no network)',
          );
        let real: string;
        try {
          real = await realpath(fileURLToPath(o.location));
        } catch {
          throw new HttpError(404, `Not found: snapshot ${o.location}`);
        }
        const rel = relative(await realpath(root), real);
        if (rel.startsWith('..') || rel.startsWith(sep) || rel === '')
          throw bad(`the snapshot must be under ${root}`);
        const checksum = typeof o.checksum === 'string' ? o.checksum : undefined;
        return inTurn(ctx, async () => {
          // Read once, from one descriptor, a chunk at a time (snapshot-build.ts): the checksum is
          // of the bytes restored, not of the file as a later read finds it.
          let src: ByteSource;
          try {
            src = await openFileSource(real);
          } catch {
            throw new HttpError(404, `Not found: snapshot ${o.location}`);
          }
          return restore(ctx, c!, rel, src, checksum);
        });
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/snapshots\/upload$/,
      async (ctx, [c]) => {
        checkCollectionName(c!);
        if (receiving >= SNAPSHOT_WORK_WAITING)
          throw busy(`busy: ${receiving} snapshot uploads are being received; retry shortly`);
        // Streamed to a private file as it arrives (never held whole), hashed as it is written.
        const pieces = ctx.bodyStream();
        const dir = dirOf(c!);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const name = `upload-${Date.now()}-${process.hrtime.bigint() % 1000000n}.snapshot`;
        const tmp = join(dir, `${name}.tmp`);
        const file = join(dir, name);
        let sha256: string;
        receiving++;
        try {
          ({ sha256 } = await receiveUpload(pieces, ctx.req.headers['content-type'], tmp));
        } catch (err) {
          rmSync(tmp, { force: true });
          // The frame only here; restore() below builds and so checks the rest.
          if (err instanceof UploadFrameError) throw bad(`the snapshot cannot be read: ${err.message}`);
          throw err;
        } finally {
          receiving--;
        }
        try {
          return await inTurn(ctx, async () => {
            renameSync(tmp, file);
            await writeChecksum(dir, name, sha256);
            await fsyncAsync(dir);
            // From that file, through one descriptor (as recover): the SHA-256 of the bytes built
            // from must be that of the bytes received, so what was checked is what is restored.
            return restore(ctx, c!, join(hex(c!), name), await openFileSource(file), sha256);
          });
        } catch (err) {
          rmSync(tmp, { force: true }); // refused or gone before its turn
          // Refused before it was logged (a 400): not kept as a snapshot either. After the log
          // (a failed checkpoint) the file is what a replay restores from, so it stays.
          if (err instanceof HttpError && err.status === 400) {
            rmSync(join(dir, `${name}.checksum`), { force: true });
            rmSync(file, { force: true });
          }
          throw err;
        }
      },
    ],
    [
      'GET',
      /^\/collections\/([^/]+)\/snapshots\/([^/]+)$/,
      (_ctx, [c, s]) => {
        if (!nameRe.test(s!) || !list(c!).includes(s!))
          throw new HttpError(404, `Not found: Snapshot ${s} not found`);
        // Gone, or made a link, since it was listed: not found (the link is not followed).
        return openSnapshot(join(dirOf(c!), s!)).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ELOOP')
            throw new HttpError(404, `Not found: Snapshot ${s} not found`);
          throw err;
        });
      },
    ],
    [
      'DELETE',
      /^\/collections\/([^/]+)\/snapshots\/([^/]+)$/,
      (_ctx, [c, s]) => {
        if (!nameRe.test(s!) || !list(c!).includes(s!))
          throw new HttpError(404, `Not found: Snapshot ${s} not found`);
        // The checksum first: a snapshot left without one (a crash between) is hashed again when listed.
        rmSync(join(dirOf(c!), `${s}.checksum`), { force: true });
        rmSync(join(dirOf(c!), s!));
        return true;
      },
    ],
  ];
}
