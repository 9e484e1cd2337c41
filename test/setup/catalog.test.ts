import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/core/setup/catalog.js';
import { applyPlan, loadAnswersFile, pendingChanges, planSetup } from '../../src/core/setup/index.js';
import { catalogNeeds } from '../../src/present/catalog.js';
import { moduleOpsFor, openManager } from '../helpers/box.js';
import { rootsPerTest } from '../helpers/roots.js';
import { CATALOG, makeCatalog, writeAnswers } from './catalog-fixture.js';
import { sshPublicKey } from './helpers.js';

const t = rootsPerTest('cat');

describe('the offline catalog on the image', () => {
  it('is absent on a box without one', async () => {
    expect(await readCatalog(t.root)).toBeUndefined();
  });

  it('lists each module with its summary, memory, disk and GPU use, from the signed index', async () => {
    const { key, dir } = await makeCatalog(t.root, t.work, { imageBytes: 300_000 });
    const catalog = await readCatalog(t.root);
    expect(catalog?.key.fingerprint).toBe(key.fingerprint.toUpperCase());
    expect(catalog?.url).toBe(pathToFileURL(dir).href);
    const [alpha, beta] = catalog!.entries;
    expect(alpha).toMatchObject({ name: 'alpha', version: '1.0.0', summary: 'Alpha, a plain package' });
    expect(alpha!.memoryBytes).toBe(0);
    expect(alpha!.installedBytes).toBeGreaterThanOrEqual(5000);
    expect(alpha!.problem).toBeUndefined();
    expect(beta).toMatchObject({ name: 'beta', version: '2.1.0', gpu: 'optional', imageBytes: 300_000 });
    expect(beta!.memoryBytes).toBe(1024 ** 3);
    expect(beta!.installedBytes).toBeGreaterThanOrEqual(300_000);
    // The package file is compressed (zeros of one byte): what it takes unpacked is what counts.
    expect(beta!.packageBytes).toBeLessThan(beta!.installedBytes);
    expect(catalogNeeds([alpha!, beta!])).toEqual({
      memoryBytes: 1024 ** 3,
      diskBytes: alpha!.installedBytes + beta!.installedBytes + 300_000,
    });
  });

  it('refuses an index not signed by the catalog key, and marks a package that does not match it', async () => {
    const { dir } = await makeCatalog(t.root, t.work);
    const index = await readFile(path.join(dir, 'index.json'), 'utf8');
    const entry = JSON.parse(index).packages.find((p: { name: string }) => p.name === 'alpha');
    await writeFile(path.join(dir, entry.path), 'not the signed package');
    expect((await readCatalog(t.root))!.entries[0]!.problem).toMatch(/does not match the signed index/);
    await writeFile(path.join(dir, 'index.json'), index.replace('Alpha, a plain package', 'Alpha, evil'));
    await expect(readCatalog(t.root)).rejects.toMatchObject({ code: 'bad-signature' });
  });

  it('refuses a catalog folder that is a link leading out of the root', async () => {
    const { dir } = await makeCatalog(t.work, `${t.work}/w`);
    await rm(path.join(t.root, CATALOG), { recursive: true, force: true });
    await writeFile(path.join(t.work, 'marker'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(t.root, path.dirname(CATALOG)), { recursive: true });
    await symlink(path.relative(path.join(t.root, path.dirname(CATALOG)), dir), path.join(t.root, CATALOG));
    await expect(readCatalog(t.root)).rejects.toMatchObject({ code: 'catalog-link-escapes' });
  });
});

describe('setup --answers with modules from the catalog', () => {
  it('adds the catalog as a repository bound to its key, installs the chosen module, and does it once', async () => {
    const { key } = await makeCatalog(t.root, t.work);
    // Plain names are accepted (`modules: [alpha]`), as the issue writes them.
    const loaded = await loadAnswersFile(
      await writeAnswers(path.join(t.work, 'a.yaml'), '[alpha]', sshPublicKey()),
    );
    expect(loaded.spec.modules).toEqual([{ name: 'alpha', state: 'running' }]);
    const ops = await moduleOpsFor(t.root);
    const plan = await planSetup(t.root, loaded.spec, loaded.repositories, ops);
    expect(pendingChanges(plan).map((c) => `${c.kind} ${c.action} ${c.target}`)).toEqual(
      expect.arrayContaining([
        `key create ${key.fingerprint.toUpperCase()}`,
        'repository create catalog',
        'package create alpha',
      ]),
    );
    await applyPlan(plan, { ops });
    const pm = await openManager(t.root);
    expect((await pm.installed()).map((p) => `${p.name} ${p.version} ${p.origin}`)).toEqual([
      'alpha 1.0.0 catalog',
    ]);
    // Trusted for that repository only: the catalog is bound to its key, and its key to it alone.
    const repos = await pm.repos.list();
    expect(repos.map((r) => `${r.name} ${r.keys?.join(',')}`)).toEqual([
      `catalog ${key.fingerprint.toLowerCase()}`,
    ]);
    expect(pendingChanges(await planSetup(t.root, loaded.spec, loaded.repositories, ops))).toEqual([]);
  });

  it('refuses a module neither the catalog nor a repository offers, naming the field and what there is', async () => {
    await makeCatalog(t.root, t.work);
    const loaded = await loadAnswersFile(
      await writeAnswers(path.join(t.work, 'a.yaml'), '[alpha, { name: nope }]', sshPublicKey()),
    );
    const ops = await moduleOpsFor(t.root);
    await expect(planSetup(t.root, loaded.spec, loaded.repositories, ops)).rejects.toThrow(
      'modules.1.name: "nope" is not in the offline catalog (alpha, beta) nor in a configured repository',
    );
  });

  it('refuses a catalog module that asks for outbound network: setup approves none', async () => {
    await makeCatalog(t.root, t.work, { outbound: ['api.example.org:443'] });
    expect((await readCatalog(t.root))!.entries.map((e) => `${e.name} ${e.outbound.join(',')}`)).toEqual([
      'alpha ',
      'beta ',
      'gamma api.example.org:443',
    ]);
    const loaded = await loadAnswersFile(
      await writeAnswers(path.join(t.work, 'a.yaml'), '[alpha, gamma]', sshPublicKey()),
    );
    await expect(
      planSetup(t.root, loaded.spec, loaded.repositories, await moduleOpsFor(t.root)),
    ).rejects.toThrow('modules.1.name: "gamma" asks for outbound network to api.example.org:443');
  });

  it('without a catalog, a module no repository offers is refused too', async () => {
    const loaded = await loadAnswersFile(
      await writeAnswers(path.join(t.work, 'a.yaml'), '[alpha]', sshPublicKey()),
    );
    await expect(
      planSetup(t.root, loaded.spec, loaded.repositories, await moduleOpsFor(t.root)),
    ).rejects.toThrow(/modules\.0\.name: "alpha" is not in the offline catalog \(this box has none\)/);
  });

  it('a module that is not a name is refused by the schema, naming the field', async () => {
    await expect(
      loadAnswersFile(await writeAnswers(path.join(t.work, 'a.yaml'), '["Not A Name"]', sshPublicKey())),
    ).rejects.toThrow(/modules\.0\.name: must be a package name/);
  });
});
