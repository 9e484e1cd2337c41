/**
 * README's `blueprint repo build modules/* …` on a module that is a recipe (a package.ts writes its
 * package source: modules/embeddings, llm, rag, vectors): embeddings failed lint ('payload/models
 * does not exist') with the hint 'Fix them (blueprint module lint …), or build anyway with
 * --no-lint', rag went on to a podman error ('COPY rootfs/${BLUEPRINT_ARCH}/ /': no such file),
 * neither of which says how the package is made (QA8's walk of the README). A recipe folder is now
 * refused before lint and build (usage, exit 2) with a hint: run its recipe and build what it
 * writes, as `npm start` does.
 */
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

const tmp = tempDir('bp-recipe-');
const keys = path.join(tmp, 'keys');
beforeAll(async () => {
  expect((await runCliHere(['repo', 'keygen', '--out', keys])).code).toBe(0);
});

it.each(['embeddings', 'rag'])('building the recipe folder modules/%s names its recipe', async (name) => {
  const r = await runCliHere([
    'repo',
    'build',
    `modules/${name}`,
    '--repo',
    path.join(tmp, 'repo'),
    '--key',
    path.join(keys, 'signing-key.asc'),
  ]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(`error: \\S*/modules/${name} is a recipe`));
  expect(r.err).toMatch(new RegExp(`hint: .*modules/${name}/package\\.ts --out SRC`));
  expect(r.err).not.toContain('--no-lint');
  expect(r.err).not.toContain('podman build failed');
});
