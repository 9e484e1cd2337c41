import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintModule, scaffoldModule } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';

// A community module that uses a catalog module (embeddings) lives in its author's own folder or
// repository, not next to the catalog's sources. Its lint (and `repo build`, which lints) said only
// 'embeddings is not a module known here: no folder next to this one has it, and it is neither
// installed nor offered by a repository of this box', leaving the author to guess what makes it
// known (QA9's walk). The finding now says what to do, and the way it names works.
const work = tempDir('bp-uses-next-');
afterAll(() => rm(work, { recursive: true, force: true }));

describe('module lint: a uses entry naming a module not known here', () => {
  it('says how to make it known, and doing so clears the error', async () => {
    const dir = path.join(work, 'mine', 'my-rag');
    mkdirSync(path.dirname(dir));
    await scaffoldModule('my-rag', dir);
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    m.uses = ['embeddings>=0.1.0'];
    writeFileSync(file, JSON.stringify(m, null, 2));

    const before = await lintModule(dir);
    const finding = before.errors.find((e) => e.field === 'uses[0]');
    expect(finding?.message).toMatch(/embeddings is not a module known here/);
    // What to check, and each way to make it known.
    expect(finding?.message).toMatch(/check the name/i);
    expect(finding?.message).toMatch(/bpkg repo add/);
    expect(finding?.message).toMatch(/--root BOX module lint/);
    expect(finding?.message).toMatch(/a folder next to this one holding its manifest\.json/);

    // The last way, as the message says it: a folder beside the module with the used module's manifest.
    mkdirSync(path.join(work, 'mine', 'embeddings'));
    writeFileSync(
      path.join(work, 'mine', 'embeddings', 'manifest.json'),
      JSON.stringify({ name: 'embeddings', version: '0.1.0' }),
    );
    const after = await lintModule(dir);
    expect(after.errors).toEqual([]);
  });
});
