import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, requirements } from '../../src/core/pkg/format.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';

/** `uses` (issue 17, module wiring): a module's used modules are dependencies like `depends`. */

const base = { name: 'rag', version: '1.0.0', arch: 'all', summary: 'x' };

describe('manifest uses', () => {
  it('takes the depends syntax and is folded into the requirements', () => {
    const m = parseManifest({ ...base, depends: ['kit>=1.0.0'], uses: ['llm>=0.1.0,<1.0.0', 'vectors'] });
    expect(m.uses).toEqual(['llm>=0.1.0,<1.0.0', 'vectors']);
    expect(requirements(m)).toEqual(['kit>=1.0.0', 'llm>=0.1.0,<1.0.0', 'vectors']);
    expect(parseManifest(base).uses).toEqual([]);
  });

  it('refuses itself, a name twice, and what depends would refuse', () => {
    expect(() => parseManifest({ ...base, uses: ['rag'] })).toThrow(/uses\.0: a module cannot use itself/);
    expect(() => parseManifest({ ...base, uses: ['llm', 'llm>=1.0.0'] })).toThrow(/uses\.1: names llm twice/);
    expect(() => parseManifest({ ...base, uses: ['LLM'] })).toThrow(/uses\.0/);
    expect(() => parseManifest({ ...base, uses: ['llm>=2.0.0,<1.0.0'] })).toThrow(/no version can satisfy/);
  });
});

describe('bpkg installs what a module uses', () => {
  let root: string;
  let repo: string;
  beforeAll(async () => {
    const dir = tempDir('bp-wiring-pkg-');
    const key = await makeKey(path.join(dir, 'key'));
    repo = path.join(dir, 'repo');
    const srcs = path.join(dir, 'src');
    await buildRepo(repo, key, [
      makeSource(srcs, { name: 'llm', version: '0.1.0' }),
      makeSource(srcs, { name: 'llm', version: '1.0.0' }),
      makeSource(srcs, { name: 'vectors', version: '0.1.0' }),
      makeSource(srcs, {
        name: 'rag',
        version: '1.0.0',
        manifestExtra: { uses: ['llm>=0.1.0,<1.0.0', 'vectors'] },
      }),
    ]);
    root = await trustingRoot(key, repo);
  });

  it('repo build writes uses into the index entry depends; install brings them in range; remove names the user', async () => {
    const index = JSON.parse(await readFile(path.join(repo, 'index.json'), 'utf8'));
    const entry = index.packages.find((p: { name: string }) => p.name === 'rag');
    expect(entry.depends).toEqual(['llm>=0.1.0,<1.0.0', 'vectors']);

    const pm = new PackageManager({ root });
    await pm.install(['rag']);
    const got = Object.fromEntries((await pm.installed()).map((p) => [p.name, p.version]));
    expect(got).toEqual({ rag: '1.0.0', llm: '0.1.0', vectors: '0.1.0' });
    await expect(pm.remove(['vectors'])).rejects.toThrow(/rag/);
    // An upgrade holds llm back: rag's range admits no 1.x.
    await pm.upgrade();
    expect((await pm.installed()).find((p) => p.name === 'llm')?.version).toBe('0.1.0');
  });
});
