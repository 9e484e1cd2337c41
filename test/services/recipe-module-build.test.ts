/**
 * README's `blueprint repo build modules/* …` on a module that is a recipe (a package.ts writes its
 * package source: modules/embeddings, llm, rag, vectors): the lint error 'service.mounts[0].source:
 * payload/models does not exist' came with the hint 'Fix them (blueprint module lint …), or build
 * anyway with --no-lint', neither of which makes the package (QA8's walk of the README). A recipe
 * folder's hint now says to run its recipe and build what it writes, as `npm start` does.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

it('building a recipe module folder names its recipe in the hint', async () => {
  const tmp = tempDir('bp-recipe-');
  const keys = path.join(tmp, 'keys');
  expect((await runCliHere(['repo', 'keygen', '--out', keys])).code).toBe(0);
  const r = await runCliHere([
    'repo',
    'build',
    'modules/embeddings',
    '--repo',
    path.join(tmp, 'repo'),
    '--key',
    path.join(keys, 'signing-key.asc'),
  ]);
  expect(r.code).toBe(4);
  expect(r.err).toContain('payload/models does not exist');
  expect(r.err).toMatch(/hint: .*modules\/embeddings\/package\.ts --out SRC/);
  expect(r.err).not.toContain('--no-lint');
});
