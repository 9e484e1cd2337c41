/**
 * Since 8cca727 writes go on while a checkpoint copies the vectors (seconds at 1M points), after
 * the graphs are held and before they are written. A collection dropped (or dropped and created
 * again under its name) in that window had its graph freed in the graph worker
 * (VECTORS_GRAPH_THREAD=1) before the checkpoint asked the worker to write it: the write of a
 * graph that no longer existed threw there, which ends the worker; /health failed and every
 * graph search answered 503 until a restart. Any client with the token could do it at will. In
 * process, on the real store with the service's graph worker; the copy held open by the test hook.
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { graphLost, setGraphHost } from '../../modules/vectors/server/graph.js';
import { GraphHost } from '../../modules/vectors/server/graph-thread.js';
import { Store } from '../../modules/vectors/server/store.js';
import { quiet } from '../helpers/quiet-log.js';
import { tempDir } from '../setup/temp-registry.js';
import { bundle } from '../vectors/served.js';

const config = { size: 8, distance: 'Dot' as const, m: 8, efConstruct: 32, fullScanThreshold: 0 };
const vec = (i: number) => Array.from({ length: 8 }, (_, j) => ((i * 7 + j) % 13) / 13);

let file: string;
const dirs: string[] = [];
beforeAll(async () => {
  file = await bundle();
}, 120_000);
afterAll(() => {
  setGraphHost(undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const recreate of [false, true])
  it(`a collection dropped${recreate ? ' and created again' : ''} while a checkpoint copies the vectors leaves the graph worker alive`, async () => {
    const lost: string[] = [];
    const host = new GraphHost(pathToFileURL(file), (why) => lost.push(why));
    setGraphHost(host);
    try {
      const dir = tempDir('vec-cap-drop-');
      dirs.push(dir);
      const s = await Store.open(dir, quiet);
      for (const name of ['doomed', 'other']) {
        await s.commit({ t: 'create', name, config });
        await s.commit({
          t: 'upsert',
          c: name,
          points: Array.from({ length: 50 }, (_, i) => ({ id: i, vector: vec(i), payload: { i } })),
        });
      }
      let dropped = false;
      (s as unknown as { copyPause?: () => Promise<unknown> }).copyPause = async () => {
        if (dropped) return;
        dropped = true;
        await s.commit({ t: 'drop', name: 'doomed' });
        if (recreate) {
          await s.commit({ t: 'create', name: 'doomed', config });
          await s.commit({ t: 'upsert', c: 'doomed', points: [{ id: 1, vector: vec(99), payload: {} }] });
        }
      };
      const result = await s.checkpoint().then(
        () => 'ok',
        (err: Error) => err.message,
      );
      expect(dropped).toBe(true);
      // Before: "graph N does not exist", and the worker ended (graph lost).
      expect(result).toBe('ok');
      await new Promise((r) => setTimeout(r, 200));
      expect(lost).toEqual([]);
      expect(graphLost()).toBeUndefined();
      const hits = await s.get('other')!.search(vec(3), 3, {});
      expect(hits.length).toBe(3);
      // The checkpoint plus the log: 'doomed' as the log leaves it.
      const again = await Store.open(dir, quiet);
      expect(again.get('other')!.count).toBe(50);
      expect(again.get('doomed')?.count).toBe(recreate ? 1 : undefined);
      await again.close();
      await s.close();
    } finally {
      setGraphHost(undefined);
      await host.close();
    }
  }, 180_000);
