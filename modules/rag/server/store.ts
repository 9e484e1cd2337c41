/**
 * The document records and the markers that make ingest and delete all-or-nothing.
 *
 * In the data folder:
 * - `documents.json`: the committed documents. Replaced whole (tmp + fsync + rename + directory
 *   fsync), so it is always the old or the new list, never a mix. A document is indexed exactly
 *   when its record is here.
 * - `pending/ID.json`: written (and fsync'ed) before an ingest writes the first chunk of ID to the
 *   vectors module, and before a delete removes ID's record; removed when the operation is over.
 *
 * - the same file's `collections`: each rag collection this rag ever wrote to, by its name in
 *   vectors (names.ts vectorsName), recorded before its first write. What the sweep (sweep.ts) may
 *   empty of points of no known document, and where its chunks are looked up, so a collection's
 *   name in vectors never changes once chosen. A file from before the record: the collections of
 *   its documents and markers, by the name rag always gave them then (`rag-NAME`), written back at
 *   open.
 * - the same file's `older`: the recorded collections a rag from before 2026-12-07 may have made
 *   with no rag named in their vectors metadata (all of a file without `older`), until the sweep
 *   adopts them; rag names itself in the metadata of each collection it makes (backends.ts).
 *
 * Recovery, at start and before each change: for every marker whose document is NOT committed,
 * delete its chunks from vectors (by the `document` payload), then the marker. That one rule
 * covers both operations: an ingest that never committed loses its partial chunks, and a delete
 * that committed (record gone) finishes removing them; a delete that did not commit left the
 * chunks alone (they are removed only after the record).
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface DocumentRecord {
  id: string;
  source: string;
  collection: string;
  sha256: string;
  chunks: number;
  pages: number | null;
  bytes: number;
  kind: string;
  createdAt: string;
}

export interface Marker {
  id: string;
  op: 'ingest' | 'delete';
  collection: string;
}

const ID = /^[0-9a-f-]{36}$/;

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/** Replaces `path` with `data` atomically and durably (never through a link). */
async function writeAtomic(dir: string, name: string, data: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fd = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await fd.writeFile(data);
    await fd.sync();
  } catch (err) {
    // A full disk took part of it: not left taking the space (the old file stands).
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    await fd.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

async function readJson(path: string): Promise<unknown> {
  const fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return JSON.parse(await fd.readFile('utf8'));
  } finally {
    await fd.close();
  }
}

/** The vectors collection of a rag collection before the record: `rag-NAME`, whatever the module's name. */
export const legacyName = (collection: string) => `rag-${collection}`;

export class Store {
  readonly dir: string;
  private docs = new Map<string, DocumentRecord>();
  /** rag's collections: rag's name → the vectors collection's (recorded, never changed). */
  private owned = new Map<string, string>();
  /** The vectors name a collection not yet recorded would get. */
  private readonly nameFor: (collection: string) => string;
  /**
   * Recorded collections a rag from before 2026-12-07 may have made without its name in their
   * metadata (the file's `older`; all of a file without it): taken as this rag's until the sweep
   * adopts them (sweep.ts).
   */
  private older = new Set<string>();
  /** The ids of the markers on disk (read at open, then kept as they are written and removed). */
  private marked = new Set<string>();
  private constructor(dir: string, nameFor: (collection: string) => string) {
    this.dir = dir;
    this.nameFor = nameFor;
  }

  /** `nameFor`: the vectors name of a collection first written to from now on (names.ts vectorsName). */
  static async open(dir: string, nameFor: (collection: string) => string = legacyName): Promise<Store> {
    const s = new Store(dir, nameFor);
    await mkdir(join(dir, 'pending'), { recursive: true, mode: 0o700 });
    const list = await readJson(join(dir, 'documents.json')).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return { documents: [] };
      throw new Error(`${join(dir, 'documents.json')} cannot be read: ${err.message}`);
    });
    const { documents, collections, older } = list as {
      documents: DocumentRecord[];
      collections?: unknown;
      older?: unknown;
    };
    for (const d of documents) s.docs.set(d.id, d);
    if (collections && typeof collections === 'object')
      for (const [c, v] of Object.entries(collections)) if (typeof v === 'string') s.owned.set(c, v);
    const markers = await s.markers();
    for (const m of markers) s.marked.add(m.id);
    // Written to before the record was kept: named as rag named every collection then.
    const before = [...documents, ...markers].map((d) => d.collection).filter((c) => !s.owned.has(c));
    if (before.length) {
      for (const c of before) s.owned.set(c, legacyName(c));
    }
    if (Array.isArray(older))
      for (const c of older) typeof c === 'string' && s.owned.has(c) && s.older.add(c);
    else for (const c of s.owned.keys()) s.older.add(c);
    if (before.length || (!Array.isArray(older) && s.owned.size > 0))
      // Written back now, or with the next change when it cannot be (a full disk): known meanwhile.
      await s.save(s.docs).catch(() => undefined);
    return s;
  }

  /** The vectors collection that holds a rag collection (recorded, or the one it would get). */
  vectorsName(collection: string): string {
    return this.owned.get(collection) ?? this.nameFor(collection);
  }

  /** rag's collections in vectors: [rag's name, vectors' name] of each one it ever wrote to. */
  collections(): [string, string][] {
    return [...this.owned];
  }

  /** Whether `collection` is recorded as this rag's. */
  owns(collection: string): boolean {
    return this.owned.has(collection);
  }

  /** Whether `collection` was recorded by a rag from before the metadata, and not adopted since. */
  isOlder(collection: string): boolean {
    return this.older.has(collection);
  }

  /** `collection` now names this rag in its metadata (sweep.ts adopted it). */
  async adopted(collection: string): Promise<void> {
    if (!this.older.has(collection)) return;
    const next = new Set(this.older);
    next.delete(collection);
    await this.save(this.docs, this.owned, next);
  }

  /** Records `collection` as this rag's, before its first write (durably; once). */
  async own(collection: string): Promise<void> {
    if (this.owned.has(collection)) return;
    const next = new Map(this.owned).set(collection, this.nameFor(collection));
    await this.save(this.docs, next);
  }

  /**
   * Documents marked and not committed: an ingest under way or failed, a delete whose chunks may
   * still be in vectors. None of their chunks is to be served (Rag.retrieve leaves them out).
   */
  unfinished(): string[] {
    return [...this.marked].filter((id) => !this.docs.has(id));
  }

  get(id: string): DocumentRecord | undefined {
    return this.docs.get(id);
  }

  list(collection?: string): DocumentRecord[] {
    return [...this.docs.values()].filter((d) => collection === undefined || d.collection === collection);
  }

  /** The committed document of `collection` with this content, if any. */
  findBySha(collection: string, sha256: string): DocumentRecord | undefined {
    return this.list(collection).find((d) => d.sha256 === sha256);
  }

  private async save(
    next: Map<string, DocumentRecord>,
    owned = this.owned,
    older = this.older,
  ): Promise<void> {
    const record = {
      documents: [...next.values()],
      collections: Object.fromEntries(owned),
      older: [...older],
    };
    await writeAtomic(this.dir, 'documents.json', `${JSON.stringify(record, null, 1)}\n`);
    this.docs = next;
    this.owned = owned;
    this.older = older;
  }

  async commitAdd(d: DocumentRecord): Promise<void> {
    await this.save(new Map(this.docs).set(d.id, d));
  }

  async commitRemove(id: string): Promise<void> {
    const next = new Map(this.docs);
    next.delete(id);
    await this.save(next);
  }

  async mark(m: Marker): Promise<void> {
    if (!ID.test(m.id)) throw new Error(`bad document id ${m.id}`);
    // Before the write: a marker half written still hides the document (it never had chunks).
    this.marked.add(m.id);
    await writeAtomic(join(this.dir, 'pending'), `${m.id}.json`, JSON.stringify(m));
  }

  async unmark(id: string): Promise<void> {
    await unlink(join(this.dir, 'pending', `${id}.json`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.marked.delete(id);
    await fsyncDir(join(this.dir, 'pending'));
  }

  /** Markers on disk (a torn `.tmp` of one never got its rename, so its operation never began). */
  async markers(): Promise<Marker[]> {
    const dir = join(this.dir, 'pending');
    const out: Marker[] = [];
    for (const name of await readdir(dir)) {
      if (name.endsWith('.tmp')) {
        await unlink(join(dir, name)).catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const m = (await readJson(join(dir, name)).catch(() => undefined)) as Marker | undefined;
      if (m && ID.test(m.id) && typeof m.collection === 'string') out.push(m);
    }
    return out;
  }
}

/** Serialises changes (ingest, delete, recovery): one at a time, in order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
