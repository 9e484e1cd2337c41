// One repository with packages for both CPUs (issue 22): the box installs the build for its own
// architecture, and a package published only for the other one is refused naming both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { buildRepository } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { createBuildHooks } from '../../src/core/services/hooks.js';
import { hostArch } from '../../src/core/version.js';
import {
  buildRepo,
  makeKey,
  makeSource,
  repoRoot,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

const here = hostArch();
const other = here === 'aarch64' ? 'x86_64' : 'aarch64';
let key: TestKey;
let repo: string;

beforeAll(async () => {
  const base = tempDir();
  key = await makeKey(path.join(base, 'key'));
  repo = path.join(base, 'repo');
  const src = (arch: string, name = 'tool') =>
    makeSource(path.join(base, `src-${arch}`), {
      name,
      version: '1.0.0',
      arch,
      files: { 'bin/tool': `built for ${arch}\n` },
    });
  await buildRepo(repo, key, [src('x86_64'), src('aarch64'), src(other, 'foreign')]);
});

describe('packages for two architectures in one repository', () => {
  it(`this ${here} box installs the ${here} build of a package published for both`, async () => {
    const root = await trustingRoot(key, repo);
    const pm = new PackageManager({ root });
    await pm.install(['tool']);
    const [row] = await pm.installed();
    expect(row).toMatchObject({ name: 'tool', arch: here });
    const file = path.join(root, 'opt/blueprint/tool/current/bin/tool');
    expect(readFileSync(file, 'utf8')).toBe(`built for ${here}\n`);
  });

  it(`a package only for ${other} is refused, naming both architectures`, async () => {
    const root = await trustingRoot(key, repo);
    const err = await new PackageManager({ root }).install(['foreign']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect((err as BlueprintError).code).toBe('wrong-arch');
    expect((err as BlueprintError).message).toBe(
      `foreign is built only for ${other}; this machine is ${here}`,
    );
    expect(await new PackageManager({ root }).installed()).toEqual([]);
  });
});

describe('repo build --arch: one source, one package per architecture', () => {
  it('builds both from one source folder; the index lists both, the box takes its own', async () => {
    const base = tempDir();
    const src = makeSource(path.join(base, 'src'), { name: 'both', version: '2.0.0', arch: 'x86_64' });
    const dir = path.join(base, 'repo');
    const index = await buildRepository({
      sources: [src],
      repoDir: dir,
      name: 'test',
      signer: { keyFile: key.privateFile },
      arches: ['x86_64', 'aarch64'],
    });
    expect(index.packages.map((p) => `${p.path} ${p.arch}`).sort()).toEqual([
      'pool/both/both_2.0.0_aarch64.bpkg aarch64',
      'pool/both/both_2.0.0_x86_64.bpkg x86_64',
    ]);
    const root = await trustingRoot(key, dir);
    const pm = new PackageManager({ root });
    await pm.install(['both']);
    expect((await pm.installed())[0]).toMatchObject({ name: 'both', arch: here });
  });

  it(`a module whose image this ${here} machine would build is refused as ${other}`, async () => {
    const err = await buildRepository({
      sources: [path.join(repoRoot, 'modules/hello')],
      repoDir: path.join(tempDir(), 'repo'),
      name: 'test',
      signer: { keyFile: key.privateFile },
      hooks: createBuildHooks({ lint: false }),
      arches: [other as 'x86_64' | 'aarch64'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect(err).toMatchObject({
      code: 'wrong-arch',
      message: `hello: its image would be built for ${here}, not ${other}`,
    });
  });
});
