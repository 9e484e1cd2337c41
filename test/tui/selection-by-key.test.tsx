/**
 * CONSOLE5: a list kept its selection by position. When a refresh added or removed a row above the
 * selected one (a service appeared, a package was removed), the cursor landed on another row, and
 * the next key (S stop, x remove) acted on it. The selection now follows the selected row's key; when
 * that row is gone, the nearest row still there (the one after it, else the one before). Through the
 * real screens, each with a source whose rows change between two reads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageRow, ServiceRow } from '../../src/tui/sources.js';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console5-selection-');
});

const service = (name: string): ServiceRow => ({ name, state: 'running', sandboxed: true, detail: '1.0.0' });
const pkg = (name: string): PackageRow => ({
  name,
  version: '1.0.0',
  installed: false,
  summary: `${name} here`,
});

/** A source answering `now` at each read: the test changes it between reads. */
function changing<T>(first: T[]) {
  const state = { now: first, reads: 0 };
  return {
    state,
    load: async () => {
      state.reads++;
      return { available: true as const, value: state.now };
    },
  };
}

/** Waits for the screen's next read of the source (it polls it), and the render after it. */
async function nextRead(state: { reads: number }, timeoutMs = 15_000) {
  const seen = state.reads;
  const until = Date.now() + timeoutMs;
  while (state.reads <= seen && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  // One more render after the read's answer.
  await new Promise((r) => setTimeout(r, 150));
}

describe('console lists: the selection follows its row, not its position', () => {
  it('Services: a service appears above the selected one; the cursor stays on it', async () => {
    const src = changing(['beta', 'gamma'].map(service));
    const app = renderApp(sourcesFor(root, { services: src.load }));
    consoleSize(app, 80, 24);
    await type(app, '3');
    await frameWith(app, 'Services (2)');
    await type(app, 'j');
    await frameWith(app, /> gamma/);
    src.state.now = ['alpha', 'beta', 'gamma'].map(service);
    await frameWith(app, 'Services (3)', 400);
    await nextRead(src.state);
    expect(app.lastFrame()).toMatch(/> gamma/);
    expect(app.lastFrame()).not.toMatch(/> beta/);
    // And it moves on from there: k goes to the row above it, now beta.
    await type(app, 'k');
    expect(await frameWith(app, /> beta/)).not.toMatch(/> gamma/);
  }, 60_000);

  it('Packages: a package above is removed, then the selected one: its nearest row is selected', async () => {
    const src = changing(['one', 'two', 'three', 'four'].map(pkg));
    const app = renderApp(sourcesFor(root, { packages: src.load }));
    consoleSize(app, 80, 24);
    await type(app, '2');
    await frameWith(app, 'Packages (4)');
    await type(app, 'j', 'j');
    await frameWith(app, /> three/);
    // `one` removed: `three` moved up a row and is still the one selected.
    src.state.now = ['two', 'three', 'four'].map(pkg);
    await frameWith(app, 'Packages (3)', 400);
    await nextRead(src.state);
    expect(app.lastFrame()).toMatch(/> three/);
    // `three` removed and `zero` added at the top: the row after it (`four`), not the one now at its place.
    src.state.now = ['zero', 'two', 'four'].map(pkg);
    await frameWith(app, /zero/, 400);
    await nextRead(src.state);
    expect(app.lastFrame()).toMatch(/> four/);
    // `four` removed, the last: the one before it.
    src.state.now = ['zero', 'two'].map(pkg);
    await frameWith(app, 'Packages (2)', 400);
    await nextRead(src.state);
    expect(app.lastFrame()).toMatch(/> two/);
  }, 90_000);
});
