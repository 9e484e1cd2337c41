/**
 * `bpkg key add FILE` on a terminal lists the key's certified user IDs before its question
 * (REVIEW11, QA26): all of them, each whole, so 40 IDs or one of 4,000 characters scrolled the
 * `Key FPR` line off a 24-row screen. Now the first 5 are listed, "and N more", each cut to the line
 * with an ellipsis (escaped as before): the whole block, `Key FPR` to the question, is in view.
 * The built executable in a tmux pane at 80x24; answered no.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { cutUserId, userIdLines, userIdsInline } from '../../src/present/user-ids.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';
import { Pane } from '../tui/tmux.js';

describe('bpkg key add lists a bounded number of user IDs, each cut to the line', () => {
  it('40 IDs of 300 characters at 80x24: Key FPR, 5 IDs, "and 35 more", the question', async () => {
    const dir = tempDir('bp-keyids-');
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const { publicKey } = await openpgp.generateKey({
      userIDs: Array.from({ length: 40 }, (_, i) => ({ name: `Publisher ${i} ${'x'.repeat(300)}` })),
      type: 'curve25519',
      format: 'armored',
    });
    const file = path.join(dir, 'many.asc');
    writeFileSync(file, publicKey);
    const p = new Pane([path.join(repoRoot, 'dist/bpkg'), '--root', root, 'key', 'add', file], {
      width: 80,
      height: 24,
    });
    try {
      const screen = await p.waitFor('[y/N]');
      const lines = screen.split('\n');
      expect(lines.some((l) => l.startsWith('Key '))).toBe(true);
      expect(lines.filter((l) => l.includes('Publisher')).length).toBe(5);
      expect(screen).toContain('and 35 more');
      // Each ID on one row: cut with an ellipsis, not wrapped by the terminal.
      for (const l of lines.filter((x) => x.includes('Publisher'))) expect(l).toMatch(/…$/);
      p.text('n');
      p.keys('Enter');
      await p.waitFor(/EXIT=\d+/);
    } finally {
      p.kill();
    }
  });

  it('wide characters count two columns; controls are escaped before the cut', () => {
    const wide = cutUserId('鍵'.repeat(300));
    expect(wide).toBe(`${'鍵'.repeat(37)}…`);
    expect(cutUserId('a\u202eb\x1b[2J')).toBe('a\\u{202e}b\\x1b[2J');
    expect(userIdLines(['one', 'two'])).toEqual(['  one', '  two']);
    expect(userIdLines(Array.from({ length: 6 }, (_, i) => `id${i}`)).at(-1)).toBe('  and 1 more user ID');
    // One line (trusted, revoked, key list): 5, each cut, then a count.
    const inline = userIdsInline(Array.from({ length: 40 }, (_, i) => `Publisher ${i} ${'x'.repeat(300)}`));
    expect(inline.split(', ')).toHaveLength(6);
    expect(inline).toMatch(/…, and 35 more$/);
  });
});
