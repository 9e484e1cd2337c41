/**
 * Who made each collection, and the admin's purge of a consumer (docs/module-wiring.md, "A
 * consumer's data, purged"). A collection made (or restored) with a consumer's own token (the kit
 * names the client `consumer:NAME`) records that consumer and the time in its create operation,
 * hence in the log and every checkpoint; one made with the admin's token or none records none.
 * When blueprint writes a purge record for a consumer (the kit's purge.ts), the consumer's
 * collections made before the record's time are dropped, their snapshots deleted, and a
 * checkpoint taken so that no log file or checkpoint file on disk still holds their points.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KitLog, RequestContext } from '../../kit/server/index.js';
import type { Owner } from './collection.js';
import { fsyncPath } from './persist.js';
import type { Store } from './store.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const hex = (s: string) => Buffer.from(s).toString('hex');

/** The owner of what a request makes: the consumer whose own token it sent, now; none for the admin. */
export function ownerOf(ctx: Pick<RequestContext, 'client'>, now = Date.now()): Owner | undefined {
  const consumer = ctx.client?.startsWith('consumer:') ? ctx.client.slice('consumer:'.length) : undefined;
  return consumer && NAME.test(consumer) ? { consumer, created: now } : undefined;
}

/** A collection file's recorded owner, if it is one (anything else: none, so never purged). */
export function ownerIn(header: { owner?: unknown }): Owner | undefined {
  const o = header.owner as Partial<Owner> | undefined;
  if (!o || typeof o !== 'object') return undefined;
  if (typeof o.consumer !== 'string' || !NAME.test(o.consumer)) return undefined;
  if (typeof o.created !== 'number' || !Number.isSafeInteger(o.created)) return undefined;
  return { consumer: o.consumer, created: o.created };
}

/**
 * Drops every collection `consumer` made before `before` (ms), with its snapshots, then checkpoints
 * and removes the log files the checkpoint covers (always: a try that ended in its checkpoint left
 * the drops logged and the points on disk). Returns the names dropped.
 */
export async function purgeConsumer(
  store: Store,
  consumer: string,
  before: number,
  log: KitLog,
): Promise<string[]> {
  const names = [...store.collections.values()]
    .filter((c) => c.owner?.consumer === consumer && c.owner.created <= before)
    .map((c) => c.name)
    .sort();
  for (const name of names) {
    const c = store.get(name);
    // Dropped meanwhile, or made again by someone else since: left.
    if (c?.owner?.consumer === consumer && c.owner.created <= before) await store.commit({ t: 'drop', name });
    rmSync(join(store.dir, 'snapshots', hex(name)), { recursive: true, force: true });
  }
  if (names.length > 0) fsyncPath(join(store.dir, 'snapshots'));
  // The dropped points are still in the log files and the last checkpoint's files until this.
  // Taken even when nothing is left to drop: an earlier try that dropped them may have ended in
  // its checkpoint (killed, a full disk), and its drops are in the log, so this try finds none.
  await store.checkpoint();
  await store.dropCoveredLogs();
  log(
    `purge of ${consumer}'s data (blueprint's record, made before ${new Date(before).toISOString()}): ${
      names.length
        ? `deleted ${names.length} collections (${names.join(', ')})`
        : 'it made no collection here'
    }`,
  );
  return names;
}
