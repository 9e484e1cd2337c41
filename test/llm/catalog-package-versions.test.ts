/**
 * A catalog module's package content changes only with its version (CATALOG2). A box upgrades a
 * package only to a higher version, so content changed under a version it has never reaches it:
 * llm stayed 0.1.0 when its manifest gained `memoryPerSetting.bytes: "model"` (session 41). Each
 * module's fingerprint (scripts/catalog/fingerprint.ts: the manifest without its version, the
 * server's bundle, the recipe's, the Containerfile, the native packages' versions) must be the one
 * recorded for its version in modules/package-fingerprints.json; a change needs a new version and
 * `node scripts/catalog/fingerprint.ts --record`. And what names those versions agrees with them:
 * rag's `uses`, the README's "bring a GGUF" steps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  catalogModules,
  drifts,
  driftText,
  manifestVersion,
  repoRoot,
} from '../../scripts/catalog/fingerprint.js';
import { parseDependency } from '../../src/core/pkg/format-checks.js';
import { compareVersions } from '../../src/core/services/registry.js';
import { meets } from '../../src/core/services/wiring.js';

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');

describe('catalog package versions', () => {
  it("every module's package content is the one recorded for its version", async () => {
    const found = await drifts();
    expect(found.map(driftText)).toEqual([]);
    expect(catalogModules()).toEqual(expect.arrayContaining(['embeddings', 'llm', 'rag', 'vectors']));
  });

  it("rag's uses accept the catalog's versions of the modules it uses", () => {
    const uses = (JSON.parse(read('modules/rag/manifest.json')) as { uses: string[] }).uses.map(
      parseDependency,
    );
    expect(uses.map((u) => u.name).sort()).toEqual(['embeddings', 'llm', 'vectors']);
    for (const u of uses)
      expect(meets(manifestVersion(u.name), u.comparators), `${u.name} ${u.range}`).toBe(true);
  });

  it("the README's bring-a-GGUF steps publish an llm above the demo's, and modules/llm/README names both", () => {
    const catalog = manifestVersion('llm');
    const served = /modules\/llm\/package\.ts --out \.demo\/src\/llm-served --version (\S+)/.exec(
      read('README.md'),
    )?.[1];
    expect(served).toBeDefined();
    // The demo's llm (the tiny model built in) has the manifest's version: the same version with other
    // contents is refused by repo build (exit 5), and a lower one is not an upgrade.
    expect(compareVersions(served!, catalog)).toBeGreaterThan(0);
    const llmReadme = read('modules/llm/README.md');
    const says = (text: string) =>
      expect(llmReadme.includes(text), `modules/llm/README.md: ${text}`).toBe(true);
    says(`"bring a GGUF" steps publish it there as ${served})`);
    says(`\`pkg install llm@${catalog}\`, before rag, for the one with the model built in`);
  });
});
