/**
 * The write-ahead log read back at start (store.ts load): every log file in order, each record
 * after the checkpoint's operation applied (`apply`), a torn tail cut off the newest file, damage
 * anywhere else refused, and a record that throws when applied set aside (quarantine.ts).
 */
import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { KitLog } from '../../kit/server/index.js';
import type { Owner } from './collection-types.js';
import type { Op } from './ops.js';
import { type Quarantined, setAsideOrRefuse } from './quarantine.js';
import { readWal } from './wal.js';

export interface Replayed {
  /** The last operation number in the logs (or `from`). */
  seq: number;
  /** The log files, in order. */
  files: string[];
  replayed: number;
  /** Records set aside by this start. */
  setAside: Quarantined[];
}

/**
 * `ownerOf`: the owner of the collection a record names, asked after the record threw (what it did
 * is undone by then: the collections as the replay met it), kept with the record set aside.
 */
export async function replayLogs(
  dataDir: string,
  from: number,
  apply: (op: Op & { seq: number }) => Promise<void>,
  log: KitLog,
  ownerOf: (op: unknown) => Owner | undefined = () => undefined,
): Promise<Replayed> {
  const walDir = join(dataDir, 'wal');
  const files = readdirSync(walDir)
    .filter((f) => /^\d{16}\.log$/.test(f))
    .sort();
  const out: Replayed = { seq: from, files, replayed: 0, setAside: [] };
  for (const [i, f] of files.entries()) {
    const path = join(walDir, f);
    const { ops, bodies, validBytes, torn } = readWal(path);
    for (const [j, raw] of ops.entries()) {
      const op = raw as (Op & { seq: number }) | undefined;
      const numbered = Number.isSafeInteger(op?.seq);
      if (numbered && op!.seq <= out.seq) continue;
      try {
        if (!numbered) throw new Error('the record has no operation number (its JSON does not parse)');
        await apply(op!);
      } catch (err) {
        const name = numbered ? String(op!.seq).padStart(16, '0') : `${f}-${j}`;
        const owner = numbered ? ownerOf(op) : undefined;
        out.setAside.push(setAsideOrRefuse(dataDir, { name, op, body: bodies[j]!, err, path, owner }, log));
      }
      if (numbered) out.seq = op!.seq;
      out.replayed++;
    }
    if (torn) {
      if (i !== files.length - 1) throw new Error(`write-ahead log ${path} is damaged before its end`);
      log.startup(`write-ahead log: cut a torn tail of an unacknowledged write off ${f}`);
      truncateSync(path, validBytes);
    }
  }
  return out;
}
