/**
 * Issue 18: what the wizard's checklist says a choice needs counts what the choice brings. The
 * image's catalog has rag, which uses embeddings, vectors and llm (installed with it), and llm,
 * which serves model-* packages: choosing rag alone must show the memory and disk of all four,
 * and say that a model is still to be chosen.
 */
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/core/setup/catalog.js';
import {
  catalogNeeds,
  catalogNeedsLine,
  catalogTotals,
  catalogTotalsShort,
} from '../../src/present/catalog.js';
import { rootsPerTest } from '../helpers/roots.js';
import { makeStackCatalog } from './catalog-fixture.js';

const t = rootsPerTest('cat-needs');
const GiB = 1024 ** 3;

async function stackCatalog() {
  await makeStackCatalog(t.root, t.work);
  const catalog = await readCatalog(t.root);
  const entry = (n: string) => catalog!.entries.find((e) => e.name === n)!;
  return { entries: catalog!.entries, entry };
}

describe('what a choice from the catalog needs', () => {
  it('reads what each entry brings and which packages it serves from the signed catalog', async () => {
    const { entry } = await stackCatalog();
    expect(entry('ragx').requires.sort()).toEqual(['emb', 'llmx', 'vec']);
    expect(entry('llmx').serves).toEqual(['model-*']);
    expect(entry('plain')).toMatchObject({ requires: [], serves: [] });
  });

  it('counts the modules a choice brings, once each', async () => {
    const { entries, entry } = await stackCatalog();
    const four = ['emb', 'vec', 'llmx', 'ragx'].map(entry);
    const disk = four.reduce((n, e) => n + e.installedBytes + e.imageBytes, 0);
    expect(catalogNeeds([entry('ragx')], entries)).toEqual({ memoryBytes: 6 * GiB, diskBytes: disk });
    // Chosen as well as brought: not counted twice.
    expect(catalogNeeds([entry('ragx'), entry('vec')], entries)).toEqual({
      memoryBytes: 6 * GiB,
      diskBytes: disk,
    });
    // Without the whole catalog, only what was chosen (as before).
    expect(catalogNeeds([entry('ragx')]).memoryBytes).toBe(GiB);
  });

  it('says what rag brings, that llm still needs a model, and fits the box against all of it', async () => {
    const { entries, entry } = await stackCatalog();
    expect(catalogNeedsLine(entry('ragx'))).toMatch(
      /^needs 1\.0 GiB memory, .+ disk; brings emb, vec, llmx$/,
    );
    // The row stays one line on an 80-column console: what llm serves is said under the choice.
    expect(catalogNeedsLine(entry('llmx'))).toMatch(/^needs 2\.0 GiB memory, .+ disk$/);
    const box = { memoryBytes: 4 * GiB, freeDiskBytes: 100 * GiB };
    const lines = catalogTotals([entry('ragx')], box, entries);
    expect(lines[1]).toMatch(
      /^Chosen: 1 module\(s\) and the 3 they bring \(emb, llmx, vec\), 6\.0 GiB memory, .+ disk\. Does not fit: not enough memory\.$/,
    );
    expect(lines[2]).toBe('llmx serves model-* packages: choose one too (model-x).');
    const withModel = catalogTotals(
      [entry('ragx'), entry('model-x')],
      { ...box, memoryBytes: 8 * GiB },
      entries,
    );
    expect(withModel).toHaveLength(2);
    expect(withModel[1]).toMatch(
      /^Chosen: 2 module\(s\) and the 3 they bring .+ 6\.0 GiB memory, .+ disk\.$/,
    );
  });

  it('says the same in fewer rows for a short screen (TUI40: a 40x12 serial line)', async () => {
    const { entries, entry } = await stackCatalog();
    const box = { memoryBytes: 4 * GiB, freeDiskBytes: 100 * GiB };
    const lines = catalogTotalsShort([entry('ragx')], box, entries);
    expect(lines[0]).toMatch(
      /^Choice needs 6\.0 GiB of 4\.0 GiB memory, .+ of 100 GiB free disk\. Does not fit: not enough memory\.$/,
    );
    // One 38-column row: the model still to choose is not cut on a 40-column console.
    expect(lines[1]).toBe('llmx: choose a model-* too (model-x).');
    expect(lines).toHaveLength(2);
    const withModel = catalogTotalsShort(
      [entry('ragx'), entry('model-x')],
      { ...box, memoryBytes: 8 * GiB },
      entries,
    );
    expect(withModel).toEqual([
      expect.stringMatching(/^Choice needs 6\.0 GiB of 8\.0 GiB memory, .+ free disk\.$/),
    ]);
  });
});
