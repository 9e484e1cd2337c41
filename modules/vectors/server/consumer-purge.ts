/**
 * Who made each collection, and the admin's purge of a consumer (docs/module-wiring.md, "A
 * consumer's data, purged"). A collection made (or restored) with a consumer's own token (the kit
 * names the client `consumer:NAME`) records that consumer and the time in its create operation,
 * hence in the log and every checkpoint; one made with the admin's token or none records none.
 * When blueprint writes a purge record for a consumer (the kit's purge.ts), the consumer's
 * collections made before the record's time are dropped, their snapshots deleted, and a
 * checkpoint taken so that no log file or checkpoint file on disk still holds their points. The
 * records a start set aside (quarantine.ts) keep the owner of the collection they name: the
 * consumer's go too. So do the snapshots whose file names the consumer as the owner, of a
 * collection it deleted itself (a collection's snapshots outlive it, as Qdrant's).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type KitLog, MODULE_NAME, type RequestContext } from '../../kit/server/index.js';
import type { Collection, Owner } from './collection.js';
import { fsyncPath } from './persist.js';
import { snapshotOwner } from './snapshot-build.js';
import type { Store } from './store.js';

const hex = (s: string) => Buffer.from(s).toString('hex');

/** The owner of what a request makes: the consumer whose own token it sent, now; none for the admin. */
export function ownerOf(ctx: Pick<RequestContext, 'client'>, now = Date.now()): Owner | undefined {
  const consumer = ctx.client?.startsWith('consumer:') ? ctx.client.slice('consumer:'.length) : undefined;
  return consumer && MODULE_NAME.test(consumer) ? { consumer, created: now } : undefined;
}

/** A collection file's recorded owner, if it is one (anything else: none, so never purged). */
export function ownerIn(header: { owner?: unknown }): Owner | undefined {
  const o = header.owner as Partial<Owner> | undefined;
  if (!o || typeof o !== 'object') return undefined;
  if (typeof o.consumer !== 'string' || !MODULE_NAME.test(o.consumer)) return undefined;
  if (typeof o.created !== 'number' || !Number.isSafeInteger(o.created)) return undefined;
  return { consumer: o.consumer, created: o.created };
}

/**
 * The owner of a logged operation set aside at start (quarantine.ts): a create's or restore's own,
 * else that of the collection it names, as the replay met it.
 */
export function recordOwner(collections: Map<string, Collection>, op: unknown): Owner | undefined {
  const o = (op ?? {}) as { t?: unknown; c?: unknown; name?: unknown; owner?: unknown };
  if (o.t === 'create' || o.t === 'restore') return ownerIn(o);
  const name = typeof o.c === 'string' ? o.c : typeof o.name === 'string' ? o.name : undefined;
  return name === undefined ? undefined : collections.get(name)?.owner;
}

const made = (o: Owner | undefined, consumer: string, before: number) =>
  o?.consumer === consumer && o.created <= before;

/**
 * The snapshots left (the dropped collections' folders were removed whole) whose file names
 * `consumer` as the owner, made before `before`: `HEX(collection)/NAME.snapshot`, relative to `dir`. Only
 * real folders and files (no link followed); a file that is no snapshot is left.
 */
async function snapshotsOf(dir: string, consumer: string, before: number): Promise<string[]> {
  const out: string[] = [];
  const entries = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const folder of entries(dir).filter((e) => e.isDirectory() && /^[0-9a-f]+$/.test(e.name)))
    for (const f of entries(join(dir, folder.name)).filter(
      (e) => e.isFile() && e.name.endsWith('.snapshot'),
    )) {
      const owner = await snapshotOwner(join(dir, folder.name, f.name)).catch(() => undefined);
      if (made(owner, consumer, before)) out.push(`${folder.name}/${f.name}`);
    }
  return out.sort();
}

/**
 * Drops every collection `consumer` made before `before` (ms), with its snapshots, then checkpoints
 * and removes the log files the checkpoint covers (always: a try that ended in its checkpoint left
 * the drops logged and the points on disk). The consumer's records set aside at start are deleted
 * too. Returns the names dropped.
 */
export async function purgeConsumer(
  store: Store,
  consumer: string,
  before: number,
  log: KitLog,
): Promise<string[]> {
  const names = [...store.collections.values()]
    .filter((c) => made(c.owner, consumer, before))
    .map((c) => c.name)
    .sort();
  for (const name of names) {
    const c = store.get(name);
    // Dropped meanwhile, or made again by someone else since: left.
    if (made(c?.owner, consumer, before)) await store.commit({ t: 'drop', name });
    rmSync(join(store.dir, 'snapshots', hex(name)), { recursive: true, force: true });
  }
  if (names.length > 0) fsyncPath(join(store.dir, 'snapshots'));
  // Its operations set aside at start: their bytes are its points' payloads, as logged.
  const setAside = store.quarantineOf().filter((q) => made(q.owner, consumer, before));
  for (const q of setAside) {
    rmSync(join(store.dir, q.file), { force: true });
    store.problems.drop(q.file);
  }
  if (setAside.length > 0) fsyncPath(join(store.dir, 'quarantine'));
  const snapshots = await snapshotsOf(join(store.dir, 'snapshots'), consumer, before);
  for (const f of snapshots) {
    rmSync(join(store.dir, 'snapshots', `${f}.checksum`), { force: true });
    rmSync(join(store.dir, 'snapshots', f), { force: true });
  }
  for (const folder of new Set(snapshots.map((f) => f.split('/')[0]!)))
    fsyncPath(join(store.dir, 'snapshots', folder));
  // The dropped points are still in the log files and the last checkpoint's files until this.
  // Taken even when nothing is left to drop: an earlier try that dropped them may have ended in
  // its checkpoint (killed, a full disk), and its drops are in the log, so this try finds none.
  await store.checkpoint();
  await store.dropCoveredLogs();
  const deleted = [
    ...(names.length ? [`${names.length} collections (${names.join(', ')})`] : []),
    ...(setAside.length
      ? [`${setAside.length} records set aside (${setAside.map((q) => q.file).join(', ')})`]
      : []),
    ...(snapshots.length
      ? [
          `${snapshots.length} more snapshots naming it as the owner (${snapshots.map((f) => f.replace(/^[0-9a-f]*/, (h) => Buffer.from(h, 'hex').toString())).join(', ')})`,
        ]
      : []),
  ];
  log(
    `purge of ${consumer}'s data (blueprint's record, made before ${new Date(before).toISOString()}): ${
      deleted.length ? `deleted ${deleted.join(' and ')}` : 'it made no collection here'
    }`,
  );
  return names;
}
