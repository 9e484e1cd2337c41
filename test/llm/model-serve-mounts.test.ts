import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelSources, orderByDefault } from '../../modules/llm/server/models.js';
import { checkManifest } from '../../src/core/modules/policy.js';
import { saveDatabase, saveFileList } from '../../src/core/pkg/db.js';
import type { Manifest } from '../../src/core/pkg/format.js';
import { checkPackageMounts, planPackageMounts } from '../../src/core/services/package-mounts.js';
import { sandboxPolicy } from '../../src/core/services/policy.js';
import type { Registration } from '../../src/core/services/registry.js';
import { parseService, serviceSchema } from '../../src/core/services/schema.js';
import { layout } from '../../src/core/system/paths.js';
import { tempDir } from '../helpers/pkg.js';

// The planning half of package mounts, without an engine: what an installed model package gives
// the llm sandbox, judged from the package database and the disk (model-serve.test.ts runs it).
const work = tempDir('bp-pkg-mounts-');
afterAll(() => rmSync(work, { recursive: true, force: true }));
const H = (c: string) => c.repeat(64);
const image = { archive: 'image.tar', id: `sha256:${'0'.repeat(64)}` };
const spec = { packages: 'model-*', source: 'models', target: '/models' };

/** A box root with these packages installed as the package manager records them. */
async function box(name: string, pkgs: Record<string, Record<string, string>>): Promise<string> {
  const root = join(work, name);
  const paths = layout(root);
  const db = { format: 1 as const, txid: 't', packages: {} as Record<string, never> };
  for (const [pkg, files] of Object.entries(pkgs)) {
    (db.packages as Record<string, unknown>)[pkg] = { name: pkg, version: '1.0.0', origin: 'main' };
    for (const f of Object.keys(files)) {
      mkdirSync(join(paths.optDir, pkg, '1.0.0', f, '..'), { recursive: true });
      writeFileSync(join(paths.optDir, pkg, '1.0.0', f), 'x');
    }
    const manifest = { name: pkg, version: '1.0.0', files } as unknown as Manifest;
    await saveFileList(paths, { name: pkg, version: '1.0.0', manifest, files: [] });
  }
  await saveDatabase(paths, db as never);
  return root;
}

const reg = (root: string, mounts = [spec]): Registration => ({
  name: 'llm',
  version: '0.1.0',
  prefix: join(root, 'opt/blueprint/llm/0.1.0'),
  spec: parseService({ image, packageMounts: mounts }),
  approvals: { outboundNetwork: false },
  imageId: image.id,
});

describe('package mounts: what the sandbox gets from installed model packages', () => {
  it('mounts each model-NAME package’s models/NAME/ at /models/NAME with its signed hashes', async () => {
    const root = await box('two', {
      'model-b': { 'models/b/b.gguf': H('b'), 'README.md': H('r') },
      'model-a': { 'models/a/a.gguf': H('a'), 'models/a/chat_template.jinja': H('c') },
      'other-x': { 'models/x/x.gguf': H('x') },
    });
    const planned = await planPackageMounts(root, reg(root));
    expect(planned[0]!.refused).toEqual([]);
    expect(planned[0]!.packages.map((p) => [p.name, p.path])).toEqual([
      ['model-a', '/models/a'],
      ['model-b', '/models/b'],
    ]);
    // Only the files below its own folder, keyed as the container sees them.
    expect(planned[0]!.packages[0]!.files).toEqual({
      'models/a/a.gguf': H('a'),
      'models/a/chat_template.jinja': H('c'),
    });
    expect(planned[0]!.packages[1]!.files).toEqual({ 'models/b/b.gguf': H('b') });
    expect(() => checkPackageMounts('llm', planned)).not.toThrow();

    const plan = sandboxPolicy({
      root,
      name: 'llm',
      version: '0.1.0',
      prefix: reg(root).prefix,
      service: reg(root).spec,
      approvals: { outboundNetwork: false },
      gpu: { use: false, cdiDevices: [], devices: [], reason: 'test' },
      seccompProfile: '/x',
      packages: planned,
    });
    const mounts = plan.spec.mounts as { destination: string; source: string; options: string[] }[];
    const a = mounts.find((m) => m.destination === '/models/a')!;
    expect(a.source).toBe(join(root, 'opt/blueprint/model-a/1.0.0/models/a'));
    expect(a.options).toContain('ro');
    const env = (plan.spec.env as Record<string, string>).BLUEPRINT_PACKAGES!;
    expect(JSON.parse(env).map((p: { folder: string }) => p.folder)).toEqual(['a', 'b']);
  });

  it('with none installed, start is refused with what to install', async () => {
    const root = await box('none', { 'other-x': { 'x.txt': H('x') } });
    const planned = await planPackageMounts(root, reg(root));
    expect(() => checkPackageMounts('llm', planned)).toThrow(/no package matching model-\* installed/);
    try {
      checkPackageMounts('llm', planned);
    } catch (err) {
      expect((err as { hint?: string }).hint).toMatch(/bpkg install model-NAME/);
      // No repository may offer one (the demo's offers none): a GGUF at hand is the other way.
      expect((err as { hint?: string }).hint).toContain('`blueprint model import FILE.gguf --name NAME`');
    }
    expect.assertions(3);
  });

  it('refuses a folder reached through a link, and one its signed manifest lists no file under', async () => {
    const root = await box('links', {
      'model-a': { 'models/a/a.gguf': H('a') },
      'model-b': { 'models/b/b.gguf': H('b') },
      'model-c': { 'weights/c.gguf': H('c') },
    });
    // model-b's folder swapped for a link to model-a's, after install.
    const b = join(root, 'opt/blueprint/model-b/1.0.0/models/b');
    rmSync(b, { recursive: true });
    symlinkSync('../../../../model-a/1.0.0/models/a', b);
    const planned = (await planPackageMounts(root, reg(root)))[0]!;
    expect(planned.packages.map((p) => p.name)).toEqual(['model-a']);
    expect(planned.refused).toEqual([
      { name: 'model-b', reason: 'models/b leads outside the package once its links are followed' },
      { name: 'model-c', reason: 'its signed manifest lists no file under models/c/' },
    ]);
    expect(() => checkPackageMounts('llm', [planned])).toThrow(/cannot mount model-b: .*; model-c:/);
    // The hint names every refused package, in both commands.
    expect(() => checkPackageMounts('llm', [planned])).toThrow(
      expect.objectContaining({
        hint: expect.stringContaining(
          '(`bpkg install --reinstall model-b model-c`) or remove it (`bpkg remove model-b model-c`)',
        ),
      }),
    );
  });

  it('the manifest schema and module lint: pattern, targets, justification', () => {
    const bad = (packageMounts: unknown) =>
      serviceSchema.safeParse({ image, packageMounts }).success ? 'ok' : 'refused';
    expect(bad([spec])).toBe('ok');
    expect(bad([{ ...spec, packages: '*' }])).toBe('refused');
    expect(bad([{ ...spec, packages: 'model' }])).toBe('refused');
    expect(bad([{ ...spec, source: '../x' }])).toBe('refused');
    expect(bad([{ ...spec, source: '/etc' }])).toBe('refused');
    expect(bad([{ ...spec, target: '/proc/x' }])).toBe('refused');
    // A folder per package appears below the target: no other mount may share or nest with it.
    expect(() =>
      parseService({ image, packageMounts: [spec], mounts: [{ source: 'm', target: '/models/a' }] }),
    ).toThrow(/must not be, hold or sit inside another mount target/);
    const lint = (justification: Record<string, string>) =>
      checkManifest({
        name: 'llm',
        version: '0.1.0',
        arch: 'all',
        summary: 's',
        service: { image, packageMounts: [spec], justification },
      }).errors.map((e) => e.field);
    expect(lint({})).toEqual(['service.packageMounts']);
    expect(lint({ packageMounts: 'serves the model packages' })).toEqual([]);
  });
});

describe('the llm server: which models and which by default', () => {
  const pkgs = JSON.stringify([
    {
      name: 'model-b',
      version: '1.0.0',
      folder: 'b',
      path: '/models/b',
      files: { 'models/b/b.gguf': H('b') },
    },
    {
      name: 'model-a',
      version: '1.0.0',
      folder: 'a',
      path: '/models/a',
      files: { 'models/a/a.gguf': H('a') },
    },
  ]);

  it('serves the installed packages by folder name; none at all says what to install', () => {
    const m = modelSources({ BLUEPRINT_PACKAGES: pkgs });
    expect(m.map((x) => [x.id, x.dir, x.from])).toEqual([
      ['a', '/models/a', 'model-a 1.0.0'],
      ['b', '/models/b', 'model-b 1.0.0'],
    ]);
    expect(() => modelSources({ BLUEPRINT_PACKAGES: '[]' })).toThrow(/bpkg install model-NAME/);
    expect(() => modelSources({})).toThrow(/no model to serve/);
    expect(() => modelSources({ BLUEPRINT_PACKAGES: '[{"name":"x","folder":"../etc"}]' })).toThrow(
      /BLUEPRINT_PACKAGES\[0\]/,
    );
  });

  it('the default: the admin’s default-model, else LLM_MODEL, else the first; an absent one is passed over', () => {
    const m = modelSources({ BLUEPRINT_PACKAGES: pkgs });
    const ids = (r: ReturnType<typeof orderByDefault>) => r.models.map((x) => x.id);
    expect(ids(orderByDefault(m, undefined, undefined))).toEqual(['a', 'b']);
    expect(ids(orderByDefault(m, undefined, 'b'))).toEqual(['b', 'a']);
    expect(ids(orderByDefault(m, 'b', 'a'))).toEqual(['b', 'a']);
    const gone = orderByDefault(m, 'c', undefined);
    expect(ids(gone)).toEqual(['a', 'b']);
    expect(gone.warning).toMatch(/default-model names 'c', which is not installed \(installed: a, b\)/);
  });
});
