/**
 * The console wizard's "Trust the repository key?" lists a key's own user IDs as `bpkg key add`
 * does (PKGIDEM's 9224b3c8): at most five, then "and N more", each cut. Listed whole, a key of 40
 * self-certified IDs (or one of 4,000 characters) filled an 80x24 screen and the note counting the
 * IDs the key did not certify (one grafted on: Debian's name) fell off its bottom; the fingerprint
 * stayed (security/wizard-key-fingerprint-in-view), the count did not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { DEBIAN } from '../helpers/grafted-key.js';
import { tempDir } from '../helpers/pkg.js';
import { boxPerTest } from '../helpers/roots.js';
import { selfNamedKey } from '../helpers/self-named-key.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type, wizardToRepositoryKey } from './helpers.js';

const box = boxPerTest('ink-key-many-ids');

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

describe("the wizard's key-trust question lists a key's user IDs as bpkg key add does", () => {
  it('five of 40, then "and 35 more", and the uncertified count stays on screen', async () => {
    const file = await namesAndOneGrafted(Array.from({ length: 40 }, (_, i) => `Mirror ${i}`));
    const frame = await trustQuestion(file, 'and 35 more user IDs');
    expect(frame).toContain('Signer: Mirror 4');
    expect(frame).not.toContain('Signer: Mirror 5');
    expect(frame).toContain('1 other user ID is not shown');
    expect(frame).not.toContain('Debian Archive');
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);

  it('a 4,000-character user ID is cut, and the uncertified count stays on screen', async () => {
    const file = await namesAndOneGrafted(['Mirror archive '.repeat(266)]);
    const frame = await trustQuestion(file, '1 other user ID is not shown');
    expect(frame).toMatch(/Signer: (Mirror archive ){4}.*…/);
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);
  }, 30_000);
});
