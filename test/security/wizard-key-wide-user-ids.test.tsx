/**
 * The wizard's key-trust question cuts each listed user ID to 70 characters (3fdf61d2), counted as
 * code points, not columns: an ID of wide characters (CJK: two columns each) is 140 columns after
 * the cut. A guard (REVIEW12, found sound): the console keeps each note to its line, so five such IDs
 * still leave the count of the IDs the key did not certify on an 80x24 screen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { DEBIAN } from '../helpers/grafted-key.js';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { selfNamedKey } from '../helpers/self-named-key.js';
import {
  consoleSize,
  frameWith,
  renderApp,
  sourcesFor,
  type,
  wizardToRepositoryKey,
} from '../tui/helpers.js';

const box = boxPerTest('ink-key-wide-ids');

/** A key certifying `names` itself, with Debian's name grafted on by another key. */
async function namesAndOneGrafted(names: string[]): Promise<string> {
  const { file } = await selfNamedKey(names, path.join(tempDir('bp-many-ids-'), 'repo.asc'));
  const key = await openpgp.readKey({ armoredKey: readFileSync(file, 'utf8') });
  const debian = await openpgp.generateKey({ userIDs: [{ name: DEBIAN }], format: 'object' });
  key.users.push(Object.assign(debian.publicKey.users[0]!, { mainKey: key }));
  writeFileSync(file, key.armor());
  return file;
}

/** The wizard at its key-trust question for `file`, on an 80x24 console; its frame. */
async function trustQuestion(file: string, want: string): Promise<string> {
  const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
  await wizardToRepositoryKey(app);
  await type(app, '\x15', file, '\r');
  await frameWith(app, 'Trust the repository key?');
  consoleSize(app, 80, 24);
  try {
    return await frameWith(app, want);
  } finally {
    app.unmount();
  }
}

describe('wide user IDs at the key-trust question', () => {
  it('five wide IDs of 100 characters (200 columns each): the uncertified count stays on an 80x24 screen', async () => {
    const file = await namesAndOneGrafted(Array.from({ length: 40 }, (_, i) => `${i} ${'鏡'.repeat(100)}`));
    const frame = await trustQuestion(file, 'Trust the repository key?');
    expect(frame).toContain('and 35 more user IDs');
    expect(frame).toContain('1 other user ID is not shown');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);
});
