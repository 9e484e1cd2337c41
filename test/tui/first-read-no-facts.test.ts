/**
 * The console's first read of the Dashboard (src/tui/index.ts, started before its first frame) does
 * not wait for the OS and egress facts: they ask RAUC (a D-Bus call on a box, its deadline 5 s) and
 * load the update and setup code, and the first full paint is a figure of issue 20. b6444174 made
 * that read wait up to 1 s for them. Now the first read shows them as being read ('...') without
 * asking, and the Dashboard's next poll (2 s) asks, as a read back from another screen does.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { readDashboard } from '../../src/tui/dashboard-data.js';
import { boxPerTest } from '../helpers/roots.js';
import { sourcesFor } from './helpers.js';

const box = boxPerTest('bp-first-read-');

describe("the console's first read of the Dashboard", () => {
  it('asks nothing of RAUC nor waits for the facts; a later read asks', async () => {
    let asked = 0;
    const sources = sourcesFor(box.root, {
      systemAndEgress: () => {
        asked++;
        return new Promise(() => {}); // a RAUC that never answers
      },
    });
    const first = await readDashboard(sources, os.cpus(), { first: true });
    expect(first.facts).toBe('reading');
    expect(asked).toBe(0);
    const later = await readDashboard(sources, os.cpus());
    expect(later.facts).toBe('reading'); // waited its second, then shown as still being read
    expect(asked).toBe(1);
  });
});
