import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';

/**
 * `repo build` lints a module's `uses` against its sibling folders and what the box knows. A
 * module built alone into a repository that already holds the modules it uses (an image's catalog
 * rebuilding rag beside packages kept from the last build) must count those packages as known.
 */
describe('repo build: uses may name packages already in the repository', () => {
  it('rag alone is refused for its uses into an empty repository, not into one holding them', async () => {
    const base = tempDir('bp-uses-');
    const key = await makeKey(path.join(base, 'key'));
    mkdirSync(path.join(base, 'src/rag'), { recursive: true });
    copyFileSync(path.join(repoRoot, 'modules/rag/manifest.json'), path.join(base, 'src/rag/manifest.json'));
    const build = (repo: string) =>
      run(['repo', 'build', path.join(base, 'src/rag'), '--repo', repo, '--key', key.privateFile]);

    const empty = await build(path.join(base, 'empty'));
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/uses\[0\]: embeddings is not a module known here/);

    const holding = path.join(base, 'holding');
    for (const name of ['embeddings', 'vectors', 'llm'])
      mkdirSync(path.join(holding, 'pool', name), { recursive: true });
    const r = await build(holding);
    // Still refused, for what this bare folder lacks (its image recipe), but no longer for its uses.
    expect(r.stderr).toMatch(/fails module lint/);
    expect(r.stderr).not.toMatch(/not a module known here/);
  });
});
