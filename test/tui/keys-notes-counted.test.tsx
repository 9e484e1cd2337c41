/**
 * CONSOLE6: at 40x12 the Keys screen's last note (`Remove: \`bpkg --root … key remove FPR\``) was
 * cut with `…` while a row of the screen stayed blank: ListScreen gave the notes one of the two rows
 * App keeps spare, not both. The notes now have both where the title takes one row; a title that
 * wraps (a long filter at 40 columns) still leaves its second row.
 */
import { afterEach, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import type { KeyRow } from '../../src/tui/sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { rootsPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tuikeysnotes');
afterEach(() => carryRoot(undefined));

const KEY: KeyRow = {
  fingerprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
  name: 'Fleet',
  repositories: [],
  revoked: false,
};
const ROOT = '/srv/box-01';

function fits(frame: string) {
  const lines = frame.split('\n');
  expect(lines.length, frame).toBeLessThanOrEqual(12);
  for (const l of lines) expect(textWidth(l), frame).toBeLessThanOrEqual(40);
  expect(lines.at(-1), frame).toMatch(/back {2}Ctrl-C quit/);
}

it('40x12: every note whole, none cut with … over a blank row', async () => {
  carryRoot({ root: ROOT, typed: true });
  const app = renderApp(sourcesFor(t.root, { keys: async () => ({ available: true, value: [KEY] }) }));
  consoleSize(app, 40, 12);
  await type(app, '4');
  const frame = await frameWith(app, /Trusted signing keys \(1\)[\s\S]*(Remove|…)/);
  expect(frame).not.toContain('…');
  expect(frame.replace(/\s+/g, ' ')).toContain(`Remove: \`bpkg --root ${ROOT} key remove FPR\``);
  expect(frame.replace(/\s+/g, ' ')).toContain(`bpkg --root ${ROOT} repo add NAME URL --key FPR`);
  fits(frame);
  // A filter long enough to wrap the title: the list and its notes still fit the screen.
  await type(app, '/');
  for (const ch of 'a1b2c3d4e5') await type(app, ch);
  const searching = await frameWith(app, /a1b2c3d4e5/);
  fits(searching);
  expect(searching).toMatch(/Key ID/);
  app.unmount();
});
