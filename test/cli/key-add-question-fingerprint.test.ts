/**
 * QA26 (REVIEW11's hand-over, 299ddf42): `bpkg key add FILE` on a terminal without --fingerprint
 * shows `Key FPR`, then each user ID the key certified, one a line, then asks 'Trust this key to
 * sign packages for this box? [y/N]'. A key with 40 user IDs pushed the fingerprint off a 24-row
 * screen: the admin was asked to trust a key whose fingerprint was no longer in view (the console's
 * wizard keeps it in the frame). The question now names the fingerprint itself. The built
 * executable in a tmux pane at 80x24; answered no, nothing is trusted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { bpkg, repoRoot, tempDir } from '../helpers/pkg.js';
import { Pane } from '../tui/tmux.js';

describe('bpkg key add asks with the fingerprint in the question', () => {
  it('a key of 40 user IDs at 80x24: the fingerprint is on the question line', async () => {
    const dir = tempDir('bp-keyq-');
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const { publicKey } = await openpgp.generateKey({
      userIDs: Array.from({ length: 40 }, (_, i) => ({ name: `Publisher name ${i}` })),
      type: 'curve25519',
      format: 'armored',
    });
    const file = path.join(dir, 'many.asc');
    writeFileSync(file, publicKey);
    const fpr = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint();
    const p = new Pane([path.join(repoRoot, 'dist/bpkg'), '--root', root, 'key', 'add', file], {
      width: 80,
      height: 24,
    });
    try {
      const screen = await p.waitFor('[y/N]');
      const question = screen.split('\n').find((l) => l.includes('[y/N]'))!;
      expect(question).toContain(fpr.toUpperCase());
      p.text('n');
      p.keys('Enter');
      await p.waitFor(/EXIT=\d+/);
    } finally {
      p.kill();
    }
    expect(JSON.parse((await bpkg(root, ['--json', 'key', 'list'])).stdout)).toEqual([]);
  });
});
