/**
 * A cross-compiled addon is cached under node_modules/.cache/blueprint-native/CPU/PKG-VERSION-gypGYP-nodeNODE
 * (modules/kit/native.ts gypAddon). Folders of the same package under another key (older tools, or
 * `hnswlib-node-3.0.0`, named before the tools were in the name) were never used again and stayed on
 * every checkout for good (KIT3's left). Now, when the addon is built or found, the other builds of
 * that package in the folder are removed: only real folders (lstat: a link named like one is neither
 * followed nor removed), never another package's nor a build in progress (`.build-XXXX`), and only
 * under the cache folder's lock (a live process holding it: nothing is removed this time).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOldAddonBuilds } from '../../modules/kit/native.ts';
import { tempDir } from '../setup/temp-registry.js';

const KEEP = 'hnswlib-node-3.0.0-gyp12.4.0-node24.21.0';

function cache() {
  const dir = tempDir('addon-cache-sweep-');
  const folder = (name: string) => {
    mkdirSync(path.join(dir, name, 'build/Release'), { recursive: true });
    writeFileSync(path.join(dir, name, 'build/Release/addon.node'), name);
  };
  folder(KEEP);
  folder('hnswlib-node-3.0.0'); // before the tools were in the name
  folder('hnswlib-node-3.0.0-gyp11.0.0-node24.1.0'); // older tools
  folder('hnswlib-node-extra-1.0.0'); // another package whose name starts alike
  folder('other-2.0.0');
  folder('.build-abc123'); // a build in progress
  // A link named like an old build, to a folder of someone else's: not followed, not removed.
  const outside = tempDir('addon-cache-sweep-outside-');
  writeFileSync(path.join(outside, 'precious'), 'keep me');
  symlinkSync(outside, path.join(dir, 'hnswlib-node-2.0.0'));
  return { dir, outside };
}

describe('old builds of an addon in the cache are removed', () => {
  it('the stale siblings go; the current one, links, other packages and builds in progress stay', () => {
    const { dir, outside } = cache();
    const removed = removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir);
    expect(removed.sort()).toEqual(['hnswlib-node-3.0.0', 'hnswlib-node-3.0.0-gyp11.0.0-node24.1.0']);
    expect(readdirSync(dir).sort()).toEqual([
      '.build-abc123',
      'hnswlib-node-2.0.0',
      KEEP,
      'hnswlib-node-extra-1.0.0',
      'other-2.0.0',
    ]);
    expect(existsSync(path.join(dir, KEEP, 'build/Release/addon.node'))).toBe(true);
    expect(lstatSync(path.join(dir, 'hnswlib-node-2.0.0')).isSymbolicLink()).toBe(true);
    expect(readdirSync(outside)).toEqual(['precious']);
    // The lock is given back.
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);
  });

  it('while another live process holds the cache lock: nothing is removed this time', async () => {
    const { dir } = cache();
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(path.join(dir, '.lock'), `${holder.pid}\n`);
      expect(removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir)).toEqual([]);
      expect(existsSync(path.join(dir, 'hnswlib-node-3.0.0'))).toBe(true);
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    // Its holder gone, the lock is stale: taken over, and the sweep runs.
    expect(removeOldAddonBuilds(dir, 'hnswlib-node', KEEP, dir).sort()).toEqual([
      'hnswlib-node-3.0.0',
      'hnswlib-node-3.0.0-gyp11.0.0-node24.1.0',
    ]);
  });
});
