/**
 * REVIEW17, attack on LOWFIX4's 211ce4fc (modules/kit/native.ts removeOldAddonBuilds): the sweep of
 * old cross-compiled addon builds runs as root (`bpkg`'s recipes, the publisher's build) and removes
 * folders named PKG-<digit>… in node_modules/.cache/blueprint-native/CPU. It checked only each
 * entry (lstat), not the folders above it: a link at node_modules/.cache, at blueprint-native or at
 * the CPU folder (planted, or a cache shared between checkouts on purpose) made it remove, as
 * root, whatever folders so named the link's target held (another checkout's builds, still in use
 * under its own key). Now every folder from node_modules down to the CPU folder must be a real
 * folder: a link there is refused, named, with the rm to run, and nothing is removed.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOldAddonBuilds } from '../../modules/kit/native.ts';
import { tempDir } from '../setup/temp-registry.js';

const KEEP = 'hnswlib-node-3.0.0-gyp12.4.0-node24.21.0';
const OLD = 'hnswlib-node-2.0.0';

/** A folder outside the checkout holding builds named like ours (another checkout's cache). */
function outsideCache(): string {
  const outside = tempDir('review17-outside-');
  for (const name of [KEEP, OLD]) {
    mkdirSync(path.join(outside, name, 'build/Release'), { recursive: true });
    writeFileSync(path.join(outside, name, 'build/Release/addon.node'), 'in use elsewhere');
  }
  return outside;
}

/** node_modules with `.cache/blueprint-native/arm64`, the link planted at `linkAt` (relative). */
function checkout(linkAt: string) {
  const nodeModules = path.join(tempDir('review17-sweep-'), 'node_modules');
  const outside = outsideCache();
  const cpuDir = path.join(nodeModules, '.cache/blueprint-native/arm64');
  const tail = path.relative(path.join(nodeModules, linkAt), cpuDir);
  // The link's target holds the rest of the path, so the CPU folder resolves into `outside`.
  const target = tail ? path.join(tempDir('review17-target-'), 'root') : outside;
  if (tail) {
    mkdirSync(path.dirname(path.join(target, tail)), { recursive: true });
    symlinkSync(outside, path.join(target, tail));
  }
  mkdirSync(path.dirname(path.join(nodeModules, linkAt)), { recursive: true });
  symlinkSync(target, path.join(nodeModules, linkAt));
  return { nodeModules, cpuDir, outside };
}

describe('the addon cache sweep never goes through a link above the CPU folder', () => {
  for (const linkAt of ['.cache', '.cache/blueprint-native', '.cache/blueprint-native/arm64']) {
    it(`a link at node_modules/${linkAt}: refused, named; the folder it leads to keeps its builds`, () => {
      const { nodeModules, cpuDir, outside } = checkout(linkAt);
      expect(existsSync(path.join(cpuDir, OLD))).toBe(true); // the sweep would see it
      let refused: unknown;
      try {
        removeOldAddonBuilds(cpuDir, 'hnswlib-node', KEEP, nodeModules);
      } catch (err) {
        refused = err;
      }
      expect(readdirSync(outside).sort()).toEqual([KEEP, OLD].sort());
      expect(existsSync(path.join(outside, OLD, 'build/Release/addon.node'))).toBe(true);
      expect(String(refused)).toContain(`${path.join(nodeModules, linkAt)} is a link`);
      expect(String(refused)).toContain(`rm ${path.join(nodeModules, linkAt)}`);
    });
  }

  it('real folders all the way down: the old build goes, as before; a file so named stays', () => {
    const nodeModules = path.join(tempDir('review17-sweep-'), 'node_modules');
    const cpuDir = path.join(nodeModules, '.cache/blueprint-native/arm64');
    for (const name of [KEEP, OLD]) mkdirSync(path.join(cpuDir, name), { recursive: true });
    // A plain file named like an old build is no build: it stays.
    writeFileSync(path.join(cpuDir, 'hnswlib-node-1.0.0'), 'a file');
    expect(removeOldAddonBuilds(cpuDir, 'hnswlib-node', KEEP, nodeModules)).toEqual([OLD]);
    expect(readdirSync(cpuDir).sort()).toEqual(['hnswlib-node-1.0.0', KEEP]);
  });
});
