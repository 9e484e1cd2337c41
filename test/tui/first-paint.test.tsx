import os from 'node:os';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/App.js';
import { readDashboard } from '../../src/tui/dashboard-data.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, sourcesFor, type } from './helpers.js';

const box = boxPerTest('first-paint');

/** Sources over the real core that count the Dashboard's host reads. */
function counted() {
  const calls = { host: 0 };
  const real = sourcesFor(box.root);
  const sources = sourcesFor(box.root, {
    host: () => {
      calls.host++;
      return real.host();
    },
  });
  return { sources, calls };
}

const renderWith = (
  sources: ReturnType<typeof sourcesFor>,
  dashboard?: Parameters<typeof App>[0]['dashboard'],
) =>
  render(
    <App sources={sources} theme={{ plain: true }} {...(dashboard ? { dashboard } : {})} onExit={() => {}} />,
  );

describe('the console first paint (issue 20)', () => {
  it('draws the Dashboard with its data in the first frame when the early read came in', async () => {
    const { sources, calls } = counted();
    const value = await readDashboard(sources, os.cpus());
    expect(calls.host).toBe(1);
    const app = renderWith(sources, { pending: Promise.resolve(value), value });
    const first = app.frames[0] ?? '';
    expect(first).toMatch(/Exposure\s+firewall NOT CONFIGURED/);
    expect(first).not.toContain('Reading the host');
    // The read it was given counts as the first: the next comes with the 2 s poll, not at once.
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.host).toBe(1);
    app.unmount();
  });

  it('takes a read still on its way instead of starting another', async () => {
    const { sources, calls } = counted();
    let resolve!: (v: Awaited<ReturnType<typeof readDashboard>>) => void;
    const pending = new Promise<Awaited<ReturnType<typeof readDashboard>>>((r) => {
      resolve = r;
    });
    const app = renderWith(sources, { pending });
    expect(app.lastFrame()).toContain('Reading the host');
    resolve(await readDashboard(sources, os.cpus()));
    await frameWith(app, 'Exposure');
    expect(calls.host).toBe(1);
    app.unmount();
  });

  it('reads afresh when the Dashboard is opened again, and loads another screen on its first visit', async () => {
    const { sources, calls } = counted();
    const value = await readDashboard(sources, os.cpus());
    const app = renderWith(sources, { pending: Promise.resolve(value), value });
    await frameWith(app, 'Exposure');
    await type(app, '4');
    await frameWith(app, 'Trusted signing keys');
    await type(app, '1');
    await frameWith(app, 'Exposure');
    await new Promise((r) => setTimeout(r, 200));
    expect(calls.host).toBe(2);
    app.unmount();
  });
});
