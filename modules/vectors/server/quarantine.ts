/**
 * Logged operations that could not be applied when the log was replayed at start, set aside.
 *
 * A change is applied in memory before it is logged (store.ts commit), so one that throws for its
 * input is refused and never reaches the log. One that still throws at start (a bug in apply, a
 * difference between the state it met then and now) would, replayed at every start, keep the
 * whole service down. A database either refuses to start (PostgreSQL's redo) or skips it (Qdrant
 * logs and skips an operation that fails for its input at WAL replay, refusing only on its own
 * errors and out-of-memory). Here: its record is written, as it is in the log, with the error, to
 * DATA/quarantine/SEQ.json, the start goes on with the rest of the log, and the collection it names
 * reports status red with the error (collection info, /telemetry) for as long as the file is there
 * (the admin removes it once they have seen to it). Never silently: the file, the log line at start
 * and the status. Lack of memory is the exception: the same record may apply with more memory, so
 * the start is refused, naming the record and what to do (outOfMemory below).
 *
 * A record keeps the owner of the collection it names as the replay met it (a create's or
 * restore's own owner; consumer-purge.ts): its bytes may be a consumer's document text, and a
 * purge of that consumer deletes it with the consumer's collections. A record whose JSON does not
 * parse names no collection, hence no owner, and is kept by every purge, as are records set aside
 * before owners were kept (their files have none).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KitLog } from '../../kit/server/index.js';
import type { Owner } from './collection-types.js';
import { ownerIn } from './consumer-purge.js';
import { fsyncPath } from './persist.js';

export interface Quarantined {
  /** The operation's number (null for a record with none: its JSON does not parse). */
  operation: number | null;
  /** The collection it names, if any. */
  collection: string | null;
  /** Relative to the data folder. */
  file: string;
  error: string;
  /** When it was set aside (ISO 8601). */
  at: string;
  /** The consumer that owned the collection it names when it was set aside; absent: none. */
  owner?: Owner;
}

const FOLDER = 'quarantine';

/** What is in DATA/quarantine/ now (each file's own account of itself; unreadable ones by name). */
export function loadQuarantine(dataDir: string): Quarantined[] {
  const dir = join(dataDir, FOLDER);
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = `${FOLDER}/${name}`;
    try {
      const q = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Quarantined;
      const owner = ownerIn(q);
      return {
        operation: q.operation ?? null,
        collection: q.collection ?? null,
        file,
        error: String(q.error),
        at: String(q.at),
        ...(owner ? { owner } : {}),
      };
    } catch (err) {
      return {
        operation: null,
        collection: null,
        file,
        error: `unreadable: ${(err as Error).message}`,
        at: '',
      };
    }
  });
}

/**
 * Writes the record aside (tmp + fsync + rename; the folder fsynced) and returns its entry. `name`
 * is the file's name without .json: the operation's number, zero-padded, or the log file's name
 * and the record's place in it for a record with no number. The same record set aside again (a
 * start before the next checkpoint replays it again) overwrites its own file. `owner`: the
 * collection's, as the replay met it.
 */
export function setAside(
  dataDir: string,
  name: string,
  op: unknown,
  body: Buffer,
  err: unknown,
  owner?: Owner,
): Quarantined {
  const dir = join(dataDir, FOLDER);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const o = (op ?? {}) as { seq?: unknown; c?: unknown; name?: unknown };
  const collection = typeof o.c === 'string' ? o.c : typeof o.name === 'string' ? o.name : null;
  const entry: Quarantined = {
    operation: Number.isSafeInteger(o.seq) ? (o.seq as number) : null,
    collection,
    file: `${FOLDER}/${name}.json`,
    error: err instanceof Error ? err.message : String(err),
    at: new Date().toISOString(),
    ...(owner ? { owner } : {}),
  };
  const text = JSON.stringify({ ...entry, record: body.toString('utf8') });
  // 0600 as the log it came from (its points' payloads are the clients' data).
  writeFileSync(join(dir, `${name}.json.tmp`), text, { mode: 0o600 });
  fsyncPath(join(dir, `${name}.json.tmp`));
  renameSync(join(dir, `${name}.json.tmp`), join(dir, `${name}.json`));
  fsyncPath(dir);
  return entry;
}

/**
 * A record that threw when replayed (`path`: its log file): set aside with its error and said at
 * start, except for want of memory, where the start is refused naming it.
 */
export function setAsideOrRefuse(
  dataDir: string,
  r: { name: string; op: unknown; body: Buffer; err: unknown; path: string; owner?: Owner },
  log: KitLog,
): Quarantined {
  const msg = r.err instanceof Error ? r.err.message : String(r.err);
  const seq = (r.op as { seq?: unknown } | undefined)?.seq;
  const label = Number.isSafeInteger(seq) ? String(seq) : `(record ${r.name})`;
  if (outOfMemory(r.err))
    throw new Error(
      `operation ${label} in ${r.path} could not be applied at start for want of memory (${msg}): give the service more memory and start it again (nothing was set aside)`,
    );
  const q = setAside(dataDir, r.name, r.op, r.body, r.err, r.owner);
  const kind = (r.op as { t?: unknown } | undefined)?.t;
  const on = q.collection === null ? '' : ` on collection ${JSON.stringify(q.collection)}`;
  log.startup(
    `replay: operation ${label} (${typeof kind === 'string' ? kind : 'unreadable'}${on}) could not be applied (${msg}): its record was set aside in ${q.file} in the data folder and the rest of the log applied; ${q.collection === null ? '/telemetry' : 'the collection'} reports it (status red) until that file is removed`,
  );
  return q;
}

/**
 * A failure for want of memory (a buffer or array that could not be allocated): not the record's
 * fault, so it is not set aside.
 */
export function outOfMemory(err: unknown): boolean {
  // Not "Invalid array length" and the like: those come from sizes a record can hold.
  return err instanceof RangeError && /Array buffer allocation failed|out of memory/i.test(err.message);
}

/** What a collection's info says while records that name it are set aside (info.ts). */
export function quarantineNote(entries: Quarantined[]): string {
  return entries
    .map(
      (q) =>
        `operation ${q.operation ?? '?'} could not be applied at start (${q.error}); its record is in ${q.file} in the data folder: remove that file once seen to`,
    )
    .join('; ');
}
