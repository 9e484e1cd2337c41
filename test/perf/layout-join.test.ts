/**
 * layout() joins its folders by hand (src/core/system/paths.ts: path.join's normalising pass over
 * every string was ~0.5-1 ms of each `bpkg` command, issue 20). Every path must be what path.join
 * gives, whatever the root is written like.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout } from '../../src/core/system/paths.js';

const roots = [
  '/',
  '/tmp/box',
  '/tmp/box/',
  '/tmp//box',
  '/tmp/./box/../box',
  'rel/box',
  '.',
  '',
  '..',
  '/a b/ü',
];

describe('layout joins by hand as path.join does', () => {
  it.each(roots)('root %j', (root) => {
    const l = layout(root);
    const r = path.resolve(root);
    expect(l.root).toBe(r);
    for (const [k, v] of Object.entries(l)) {
      if (k === 'root') continue;
      expect(v, k).toBe(path.join(r, path.relative(r, v)));
      expect(path.isAbsolute(v) && v.startsWith(r === '/' ? '/' : `${r}/`), k).toBe(true);
      expect(v.includes('//') || v.includes('/./') || v.includes('/../'), k).toBe(false);
    }
    expect(l.listsDir).toBe(path.join(r, 'var/lib/blueprint/pkg/lists'));
    expect(l.etc).toBe(path.join(r, 'etc/blueprint'));
  });
});
