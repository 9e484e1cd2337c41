import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox, type Question } from '../../src/app/index.js';
import { buildRepository } from '../../src/core/pkg/build.js';
import { createBuildHooks } from '../../src/core/services/hooks.js';
import { installedLine, reachLines } from '../../src/present/install.js';
import { buildRepo, makeKey, makeSource, tempDir, trustingRoot } from '../helpers/pkg.js';
import { helloSource, uniqueName } from '../services/helpers.js';

/**
 * Module wiring (docs/module-wiring.md) mounts each module a consumer `uses` into its sandbox: the
 * socket, and the access token the admin set on it. The admin said yes to `bpkg install rag` with
 * a table of names, versions and sizes: nothing said that rag would be handed llm's token. The
 * question (and the plan the console and the dashboard show) now names the modules it reaches.
 */
async function publishedRoot() {
  const work = tempDir('bp-uses-shown-');
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  const src = (name: string, extra: Record<string, unknown> = {}) =>
    makeSource(path.join(work, `src-${name}`), { name, version: '1.0.0', manifestExtra: extra });
  await buildRepo(repo, key, [
    src('llm'),
    src('vectors'),
    src('rag', { uses: ['llm>=1.0.0,<2.0.0', 'vectors'] }),
    src('notes'),
  ]);
  return trustingRoot(key, repo);
}

describe('bpkg install says which modules a module reaches, with their tokens, before the yes', () => {
  it("the install question names rag's used modules; a package using none names none", async () => {
    const root = await publishedRoot();
    const asked: Question[] = [];
    const box = openBox(root, {
      confirm: async (q) => {
        asked.push(q);
        return true;
      },
    });
    await box.packages.install(['rag', 'notes']);
    const shown = asked[0]?.kind === 'install' ? asked[0].changes : [];
    expect(shown.find((c) => c.name === 'rag')).toMatchObject({ reaches: ['llm', 'vectors'] });
    expect(shown.find((c) => c.name === 'notes')).not.toHaveProperty('reaches');
    expect(shown.find((c) => c.name === 'llm')).not.toHaveProperty('reaches');
  });

  it('the plan the console, the dashboard and --json scripts are shown carries it too', async () => {
    const box = openBox(await publishedRoot(), {});
    const plan = await box.packages.plan(['rag']);
    expect(plan.find((c) => c.name === 'rag')).toMatchObject({ reaches: ['llm', 'vectors'] });
  });

  it("a module's install result (bpkg install, plain and --json) names exactly what it uses", async () => {
    const work = tempDir('bp-uses-module-');
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    const name = uniqueName('bpt-uses');
    const dir = path.join(work, name);
    await cp(helloSource, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    await writeFile(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ ...manifest, name, depends: ['notes'], uses: ['llm'] }),
    );
    await buildRepository({
      sources: [
        dir,
        makeSource(path.join(work, 'llm'), { name: 'llm', version: '1.0.0' }),
        makeSource(path.join(work, 'notes'), { name: 'notes', version: '1.0.0' }),
      ],
      repoDir: repo,
      name: 'test',
      signer: { keyFile: key.privateFile },
      hooks: createBuildHooks({ lint: false }),
    });
    const box = openBox(await trustingRoot(key, repo), { yes: true });
    try {
      const done = await box.packages.install([name]);
      const mine = done.find((c) => c.name === name);
      expect(mine).toMatchObject({ reaches: ['llm'] });
      expect(installedLine(mine!)).toContain(
        "reaches the sockets of llm, with its own token for each (or the admin's, where a module takes no token per consumer)",
      );
    } finally {
      await box.packages.remove([name]).catch(() => {});
    }
  }, 120_000);

  // A consumer of a provider with clientTokens (every catalog provider; QA15's walk: notes) gets its
  // own token, never the admin's: 'gets their access tokens' said it got the admin's.
  it('the text says it plainly: sockets, and whose token', () => {
    const plan = [
      { name: 'rag', to: '1.0.0', repo: 'main', size: 1, reaches: ['llm', 'vectors'] },
      { name: 'llm', to: '1.0.0', repo: 'main', size: 1 },
    ];
    expect(reachLines(plan)).toEqual([
      "rag can reach llm, vectors through their sockets (of those it declares in uses), with its own token for each (or the admin's, where a module takes no token per consumer)",
    ]);
    expect(installedLine(plan[0]!)).toBe(
      "installed rag 1.0.0 from main; reaches the sockets of llm, vectors, with its own token for each (or the admin's, where a module takes no token per consumer)",
    );
  });
});
