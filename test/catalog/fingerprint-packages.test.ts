/**
 * Every npm package folder a recipe copies into its image (files, not bundled JavaScript) counts in
 * its module's fingerprint at the version package-lock.json pins (scripts/catalog/fingerprint.ts),
 * so an upgrade of one changes the fingerprint and test/llm/catalog-package-versions asks for a new
 * version. vectors' fingerprint named hnswlib-node only while its image also carries bindings,
 * file-uri-to-path and multilingual-stemmer (IMAGES, session 44): an upgrade of those changed the
 * image under the same version. Each recipe here makes its package source (no Podman), and every
 * `node_modules/NAME/package.json` in its image root must be in the fingerprint; then each such
 * package's version, changed in a copy of the lock, must change the fingerprint.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprint,
  fingerprintParts,
  type LockPackages,
  readLock,
} from '../../scripts/catalog/fingerprint.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';
import { RECIPES } from './recipe-sources.js';

/** name -> version of every package folder (…/node_modules/NAME/package.json) under `dir`. */
function packageFolders(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name !== 'package.json') continue;
    const file = path.join(e.parentPath, e.name);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(file);
    if (m) found[m[1]!] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return found;
}

describe.each(Object.keys(RECIPES))("%s's fingerprint", (module) => {
  let copied: Record<string, string>;
  let lock: LockPackages;
  beforeAll(async () => {
    process.chdir(repoRoot);
    const src = path.join(tempDir(`bp-fingerprint-${module}-`), 'src');
    await RECIPES[module]!(src);
    copied = packageFolders(path.join(src, 'rootfs'));
    lock = readLock();
  }, 300_000);

  it('names every package folder its image carries, at the version the lock pins and the image holds', async () => {
    const parts = await fingerprintParts(module);
    // The walk finds them (rag's image carries none: its dependencies are all bundled).
    if (module !== 'rag') expect(Object.keys(copied).length).toBeGreaterThan(0);
    for (const [name, version] of Object.entries(copied)) {
      expect(lock[`node_modules/${name}`]?.version, `${name} in package-lock.json`).toBe(version);
      expect(parts, `${module}'s fingerprint names ${name}`).toContain(`${name}: ${version}`);
    }
  });

  it('changes when the version of a package folder its image carries changes in the lock', async () => {
    const before = await fingerprint(module);
    for (const name of Object.keys(copied)) {
      const bumped = structuredClone(lock);
      bumped[`node_modules/${name}`]!.version = `${copied[name]}-changed`;
      expect(await fingerprint(module, bumped), `${module} with another ${name}`).not.toBe(before);
    }
  }, 120_000);
});
