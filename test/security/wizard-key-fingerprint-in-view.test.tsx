/**
 * REVIEW11 (found sound): the console wizard's "Trust the repository key?" with a key whose own
 * (self-certified) user IDs are many, or one very long, Debian's name among them. `bpkg key add`
 * lets such names scroll the fingerprint off the terminal (handed to QA26); the wizard's step puts
 * the fingerprint first among its notes and cuts the notes at the bottom on a short screen, so the
 * whole fingerprint stays in view at 80x24 and on a 40x12 serial console.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { FORTY_NAMES_DEBIAN_LAST, ONE_LONG_NAME, selfNamedKey } from '../helpers/self-named-key.js';
import {
  consoleSize,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  wizardToRepositoryKey,
} from '../tui/helpers.js';

const box = boxPerTest('ink-key-fpr-view');

async function trustQuestion(file: string, columns: number, rows: number): Promise<string> {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToRepositoryKey(app);
  await type(app, '\x15', file, '\r');
  await frameWith(app, 'Trust the repository key?');
  consoleSize(app, columns, rows);
  // The step painted again at the console's size (its title cut or wrapped there).
  let frame = app.lastFrame() ?? '';
  for (let i = 0; i < 200 && frame.split('\n').length > rows; i++) {
    await new Promise((r) => setTimeout(r, 25));
    frame = app.lastFrame() ?? '';
  }
  app.unmount();
  return frame;
}

const shows = (frame: string, fpr: string) => frame.replace(/\s/g, '').includes(fpr.toUpperCase());

describe("the wizard's key-trust question keeps the fingerprint in view", () => {
  for (const [what, names] of [
    ['40 user IDs, Debian’s last', FORTY_NAMES_DEBIAN_LAST],
    ['one 4,000-character user ID', ONE_LONG_NAME],
  ] as const)
    for (const [columns, rows] of [
      [80, 24],
      [40, 12],
    ] as const)
      it(`${what}, at ${columns}x${rows}`, async () => {
        const k = await selfNamedKey(names, path.join(tempDir('bp-fpr-view-'), 'repo.asc'));
        const frame = await trustQuestion(k.file, columns, rows);
        expect(shows(frame, k.fingerprint), frame).toBe(true);
        expect(frame.split('\n').length).toBeLessThanOrEqual(rows);
      }, 30_000);
});
