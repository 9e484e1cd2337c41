/**
 * The checkpoint folder's files, apart from the Store that decides when to checkpoint (store.ts):
 * its manifest (which collection and graph files are the checkpoint, at which operation), the
 * collections it names loaded at start, the collection files and a new manifest made durable, the
 * files it no longer names dropped; and the record of what checkpoints do (GET /telemetry).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection } from './collection.js';
import { setOwn } from './own-key.js';
import { type CollectionImage, fsyncAsync, writeCollectionFile, writeDurable } from './persist.js';
import { loadCheckpoint, openFileSource } from './snapshot-build.js';

export interface Manifest {
  seq: number;
  collections: Record<string, { file: string; index: string }>;
}

/** What checkpoints do (GET /telemetry; the tests watch the phase). */
export function newCheckpointState() {
  return {
    running: false,
    /** applying (logged operations being applied), capture (the collections copied, writes held back), graphs (HNSW files; changes reach the graphs after),
     * collections (collection files, chunk by chunk), manifest, cleanup. */
    phase: null as string | null,
    operation: null as number | null,
    started: 0,
    completed: 0,
    failed: 0,
    last_ms: null as number | null,
  };
}

/** The manifest in `cp` (none: operation 0), its collections (and graphs) loaded into `into`. */
export async function loadCheckpointDir(cp: string, into: Map<string, Collection>): Promise<Manifest> {
  const manifestPath = join(cp, 'manifest.json');
  let manifest: Manifest = { seq: 0, collections: {} };
  if (existsSync(manifestPath)) manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  for (const [name, f] of Object.entries(manifest.collections)) {
    const indexFile = join(cp, f.index);
    // A chunk at a time (snapshot-build.ts), not the file whole and a copy of its vectors.
    const src = await openFileSource(join(cp, f.file));
    try {
      into.set(name, await loadCheckpoint(src, existsSync(indexFile) ? indexFile : undefined));
    } finally {
      await src.close();
    }
  }
  return manifest;
}

/**
 * Each captured collection's file written (chunk by chunk) and its graph's file, written before,
 * made durable: the manifest that names them, and the files it names.
 */
export async function writeCollections(
  cp: string,
  seq: number,
  taken: { name: string; base: string; image: CollectionImage }[],
  failpoint: () => void,
): Promise<{ manifest: Manifest; written: string[] }> {
  const manifest: Manifest = { seq, collections: {} };
  const written: string[] = [];
  for (const t of taken) {
    await fsyncAsync(join(cp, `${t.base}.hnsw`));
    await writeCollectionFile(join(cp, `${t.base}.bin`), t.image, failpoint);
    // A collection named "__proto__" too (own-key.ts): else its points were lost at the next start.
    setOwn(manifest.collections, t.name, { file: `${t.base}.bin`, index: `${t.base}.hnsw` });
    written.push(`${t.base}.bin`, `${t.base}.hnsw`);
  }
  return { manifest, written };
}

/** The new manifest in place (tmp + fsync + rename), once the files it names are durable. */
export async function writeManifest(cp: string, manifest: Manifest, failpoint: () => void): Promise<void> {
  await fsyncAsync(cp); // the new files' names are durable before the manifest that names them
  writeDurable(join(cp, 'manifest.tmp'), JSON.stringify(manifest));
  failpoint();
  renameSync(join(cp, 'manifest.tmp'), join(cp, 'manifest.json'));
  await fsyncAsync(cp);
}

/** Every file in `cp` but the manifest and those `written` (the previous checkpoint's) removed. */
export function dropUnnamed(cp: string, written: string[]): void {
  for (const f of readdirSync(cp))
    if (f !== 'manifest.json' && !written.includes(f)) rmSync(join(cp, f), { force: true });
}
