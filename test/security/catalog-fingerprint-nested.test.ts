/**
 * REVIEW11: the catalog guard (scripts/catalog/fingerprint.ts) leaves a module's own manifest (it
 * hashes it without its version), README.md and .gitignore out of the fingerprint of a module
 * without a recipe. It matched those names at any depth, so a file of the package's payload named
 * README.md or manifest.json (payload/README.md, payload/etc/app/manifest.json: content a box
 * installs) could change under a published version with the guard still passing. Only the
 * module's own files of those names are left out.
 */
import { describe, expect, it } from 'vitest';
import { fingerprinted } from '../../scripts/catalog/fingerprint.js';

describe('the catalog fingerprint of a module without a recipe', () => {
  it("leaves out only the module's own manifest, README and .gitignore", () => {
    for (const own of ['manifest.json', 'README.md', '.gitignore'])
      expect(fingerprinted('hello-data', `modules/hello-data/${own}`), own).toBe(false);
  });

  it('counts payload files of those names: they are what a box installs', () => {
    for (const payload of ['payload/README.md', 'payload/etc/app/manifest.json', 'payload/srv/.gitignore'])
      expect(fingerprinted('hello-data', `modules/hello-data/${payload}`), payload).toBe(true);
    expect(fingerprinted('hello-data', 'modules/hello-data/payload/hello.txt')).toBe(true);
  });
});
