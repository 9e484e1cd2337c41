/**
 * CONSOLE4: the Services and Packages screens' key line (or what the last action said) was a footer
 * the list's height did not count: at 40x12, with several running-limit notes under the Services
 * table, the notes and the key line pushed the table's header and rows off the screen. Now the key
 * line is wrapped and counted as the notes are: the header, the first rows and the keys stay.
 * And leaving an Enter view (inspect, a key, a destination) kept neither the list's filter nor its
 * selected row: both are kept now. The rows are the screens' own (a temporary box root, each list's
 * source given its rows), as the screens show them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackageRow, ServiceRow } from '../../src/tui/sources.js';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console4-footer-');
});

const service = (i: number): ServiceRow => ({
  name: `svc-${i}`,
  state: 'running',
  sandboxed: true,
  detail: '1.0.0 net:none',
  runningLimits: `svc-${i}: runs with a memory limit of 128 MiB; its next start gives it 96 MiB: \`blueprint service restart svc-${i}\``,
});

const pkg = (i: number): PackageRow => ({
  name: `package-${i}`,
  version: '1.0.0',
  installed: false,
  summary: `the package number ${i}`,
});

describe('console lists at 40x12: the key line is counted', () => {
  it('Services with four running-limit notes keeps its header, a row and its keys', async () => {
    const rows = [1, 2, 3, 4].map(service);
    const app = renderApp(
      sourcesFor(root, {
        services: async () => ({ available: true, value: rows }),
        inspect: async (name) => [`${name} inspected`],
      }),
    );
    consoleSize(app, 40, 12);
    await type(app, '3');
    const frame = await frameWith(app, 'Services (4)');
    expect(frame).toMatch(/Service\s+State/);
    expect(frame).toMatch(/> svc-1\s+running/);
    // The key line, whole (wrapped), under the notes.
    expect(frame.replace(/\s+/g, ' ')).toContain('s start S stop R restart l logs c settings Enter inspect');
    expectFits(app.frames.filter((f) => f.includes(' (')).slice(-3), 40, 12);
  });

  it('Packages with a list longer than the screen keeps its header, its range and its keys', async () => {
    const app = renderApp(
      sourcesFor(root, {
        packages: async () => ({ available: true, value: [1, 2, 3, 4, 5, 6, 7, 8].map(pkg) }),
      }),
    );
    consoleSize(app, 40, 12);
    await type(app, '2');
    const frame = await frameWith(app, 'Packages (8)');
    expect(frame).toMatch(/Name\s+State/);
    expect(frame).toMatch(/> package-1\s+available/);
    expect(frame).toMatch(/1-\d of 8/);
    expect(frame.replace(/\s+/g, ' ')).toContain('i/Enter install x remove u upgrade all / search');
    // What x said of an available package (two rows at 40 columns) takes the keys' place, counted.
    await type(app, 'x');
    const said = await frameWith(app, /package-1 is not\s+installed/);
    expect(said).toMatch(/Name\s+State/);
    expect(said).toMatch(/1-\d of 8/);
    expect(said.replace(/\s+/g, ' ')).toContain('package-1 is not installed (i installs it)');
    expectFits(app.frames.filter((f) => f.includes(' (')).slice(-3), 40, 12);
  });
});

describe('console lists: leaving an Enter view keeps the filter and the selection', () => {
  it("Services' inspect view, back: the same filter, the same service selected", async () => {
    const rows = ['alpha', 'beta-one', 'beta-two', 'beta-three', 'gamma'].map(
      (name): ServiceRow => ({ name, state: 'running', sandboxed: true, detail: '1.0.0 net:none' }),
    );
    const app = renderApp(
      sourcesFor(root, {
        services: async () => ({ available: true, value: rows }),
        inspect: async (name) => [`${name} inspected`],
      }),
    );
    consoleSize(app, 100, 30);
    await type(app, '3');
    await frameWith(app, 'Services (5)');
    await type(app, '/', 'b', 'e', 't', 'a', '\r');
    await frameWith(app, 'Services (3 of 5)');
    await type(app, 'j', 'j');
    await frameWith(app, /> beta-three/);
    await type(app, '\r');
    expect(await frameWith(app, 'beta-three inspected')).toContain('Inspect beta-three');
    await type(app, 'x');
    const back = await frameWith(app, 'Services (');
    expect(back).toContain('Services (3 of 5)');
    expect(back).toContain('filter: beta');
    expect(back).toMatch(/> beta-three/);
  });
});

it("Keys' one-key view, back: the same key selected", async () => {
  const key = (d: string, name: string) => ({
    fingerprint: d.repeat(40),
    name,
    repositories: [name.toLowerCase()],
    revoked: false,
  });
  const app = renderApp(
    sourcesFor(root, {
      keys: async () => ({
        available: true,
        value: [key('A', 'Alpha'), key('B', 'Beta'), key('C', 'Gamma')],
      }),
    }),
  );
  consoleSize(app, 120, 30);
  await type(app, '4');
  await frameWith(app, /> AAAA/);
  await type(app, 'j', 'j');
  await frameWith(app, /> CCCC/);
  await type(app, '\r');
  expect(await frameWith(app, 'Trusted signing key (Esc back)')).toContain('Signer: Gamma');
  await type(app, 'q');
  expect(await frameWith(app, 'Trusted signing keys (3)')).toMatch(/> CCCC/);
});
