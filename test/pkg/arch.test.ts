// One repository with packages for both CPUs (issue 22): the box installs the build for its own
// architecture, and a package published only for the other one is refused naming both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { hostArch } from '../../src/core/version.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

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
