/**
 * LocalGraph (graph.ts) remembers what it would otherwise ask hnswlib for on every search: the `ef`
 * last set and the capacity, and it hands the query over in one array kept for it. Its answers must
 * be hnswlib's own at every step: after an `ef` change, a resize, and a load from a graph file (which
 * makes a new index inside hnswlib, at hnswlib's default ef of 10: a remembered ef of 200 would then
 * be wrong, and a search at ef 10 finds other neighbours than at ef 200 on this data).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalGraph } from '../../modules/vectors/server/graph.js';
import { tempDir } from '../setup/temp-registry.js';

const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node') as typeof import('hnswlib-node');

const D = 24;
let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31 - 0.5;
};
const vec = () => Float32Array.from({ length: D }, random);
const points = Array.from({ length: 3000 }, vec);
const queries = Array.from({ length: 60 }, vec);

describe('LocalGraph', () => {
  it("answers as hnswlib's own calls do, through ef changes, a resize and a load", async () => {
    const params = { space: 'l2' as const, dim: D, capacity: 1000, m: 8, efConstruction: 40 };
    const g = new LocalGraph(params);
    const ref = new HierarchicalNSW('l2', D);
    ref.initIndex({ maxElements: 1000, m: 8, efConstruction: 40 });
    const add = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        g.addPoint(points[i]!, i);
        ref.addPoint(Array.from(points[i]!), i);
      }
    };
    const same = (h: InstanceType<typeof HierarchicalNSW>, ef: number) => {
      h.setEf(ef);
      for (const q of queries)
        expect(Array.from(g.search(q, 10, ef, {}).neighbors)).toEqual(
          h.searchKnn(Array.from(q), 10).neighbors,
        );
    };
    add(0, 1000);
    expect(g.getMaxElements()).toBe(1000);
    same(ref, 200);
    same(ref, 10);
    same(ref, 200); // the remembered ef follows each change
    g.resizeIndex(3000);
    ref.resizeIndex(3000);
    expect(g.getMaxElements()).toBe(3000);
    add(1000, 3000);
    same(ref, 200);
    // A filter still applies (allowed labels only).
    const allowed = new Set(Array.from({ length: 1500 }, (_, i) => i * 2));
    for (const l of Array.from(g.search(queries[0]!, 10, 200, { allowed }).neighbors))
      expect(allowed.has(l)).toBe(true);

    const file = join(tempDir('vectors-local-graph-'), 'g.hnsw');
    await g.writeIndex(file);
    const loaded = new HierarchicalNSW('l2', D);
    loaded.readIndexSync(file);
    // ef 200 was set before the load; hnswlib's new index starts at 10, and LocalGraph must set 200.
    g.load(file, 2000);
    expect(g.getMaxElements()).toBe(3000); // the file's capacity, larger than asked
    loaded.setEf(10);
    const at10 = queries.map((q) => loaded.searchKnn(Array.from(q), 10).neighbors.join());
    loaded.setEf(200);
    const at200 = queries.map((q) => loaded.searchKnn(Array.from(q), 10).neighbors.join());
    expect(at10).not.toEqual(at200); // the data tells the two apart
    same(loaded, 200);
    g.load(file, 5000);
    expect(g.getMaxElements()).toBe(5000); // resized to the capacity asked
  });
});
