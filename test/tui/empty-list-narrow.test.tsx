/**
 * CONSOLE5's walk at 40x12: an empty list's message (what to do next, with the box's --root in its
 * commands) wrapped at the screen's edge into seven rows that the list's height did not count. On
 * Packages they pushed the table's header off the screen, and the continuation rows started at the
 * margin, not under the message. The message is now wrapped under itself and counted, as notes are.
 */
import { beforeAll, expect, it } from 'vitest';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, expectFits, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console5-empty-');
});

it('Packages with nothing to show at 40x12 keeps its header, its whole message and its keys', async () => {
  const app = renderApp(sourcesFor(root, { packages: async () => ({ available: true, value: [] }) }));
  consoleSize(app, 40, 12);
  await type(app, '2');
  const from = app.frames.length;
  const f = await frameWith(app, 'Packages (0)');
  expect(f).toMatch(/Name\s+State/);
  const body = f.split('\n');
  const start = body.findIndex((l) => l.includes('No packages'));
  expect(start, f).toBeGreaterThan(0);
  // Every row of the message is indented under its first.
  for (const l of body.slice(start + 1).filter((r) => /bpkg|Keys\)/.test(r))) expect(l, f).toMatch(/^ {3}\S/);
  const text = f.replace(/\s+/g, ' ');
  expect(text).toContain('(4 Keys).');
  expect(text).toContain('i/Enter install x remove u upgrade all / search');
  expectFits(app.frames.slice(from + 1), 40, 12);
  app.unmount();
});
