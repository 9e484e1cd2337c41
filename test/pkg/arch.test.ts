// One repository with packages for both CPUs (issue 22): the box installs the build for its own
// architecture, and a package published only for the other one is refused naming both. A module
// gets an image per CPU from one source, and one whose programs are for the wrong CPU is refused.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extract } from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { buildRepository } from '../../src/core/pkg/build.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import { createBuildHooks } from '../../src/core/services/hooks.js';
import { elfArch, elfFilesInImage } from '../../src/core/services/image-arch.js';
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

  it(`hello's one source gives both packages, each image's program built for its CPU`, async () => {
    const dir = path.join(tempDir(), 'repo');
    await buildRepository({
      sources: [path.join(repoRoot, 'modules/hello')],
      repoDir: dir,
      name: 'test',
      signer: { keyFile: key.privateFile },
      hooks: createBuildHooks({ lint: false }),
      arches: ['x86_64', 'aarch64'],
    });
    for (const arch of ['x86_64', 'aarch64']) {
      const image = await imageOf(path.join(dir, `pool/hello/hello_1.0.0_${arch}.bpkg`));
      expect(Object.fromEntries(await elfFilesInImage(image))).toEqual({ '/hello': arch });
      expect(imageConfig(image).architecture).toBe(arch === 'aarch64' ? 'arm64' : 'amd64');
    }
  });

  it(`a module whose build ignores BLUEPRINT_ARCH is refused for ${other}, naming the program`, async () => {
    // The same module, its build.sh compiling for this machine whatever the target.
    const src = path.join(tempDir(), 'stubborn');
    cpSync(path.join(repoRoot, 'modules/hello'), src, {
      recursive: true,
      filter: (f) => !f.includes('/rootfs'),
    });
    writeFileSync(
      path.join(src, 'build.sh'),
      'set -eu\ncd "$(dirname "$0")"\nmkdir -p rootfs/tmp rootfs/run/hello\ngcc -static -Os -s -o rootfs/hello hello.c\n',
    );
    const repoDir = path.join(tempDir(), 'repo');
    const err = await buildRepository({
      sources: [src],
      repoDir,
      name: 'test',
      signer: { keyFile: key.privateFile },
      hooks: createBuildHooks({ lint: false }),
      arches: [other as 'x86_64' | 'aarch64'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlueprintError);
    expect(err).toMatchObject({
      code: 'wrong-arch',
      message: `hello: its image for ${other} holds programs for another CPU: /hello (${here})`,
    });
    expect(existsSync(path.join(repoDir, 'pool/hello'))).toBe(false);
  });
});

describe('elfArch: the CPU an ELF header names', () => {
  const header = (machine: number, bigEndian = false) => {
    const b = Buffer.alloc(64);
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = 2;
    b[5] = bigEndian ? 2 : 1;
    if (bigEndian) b.writeUInt16BE(machine, 18);
    else b.writeUInt16LE(machine, 18);
    return b;
  };
  it('reads x86_64, aarch64, others by number, and nothing from a non-ELF file', () => {
    expect(elfArch(header(0x3e))).toBe('x86_64');
    expect(elfArch(header(0xb7))).toBe('aarch64');
    expect(elfArch(header(0x28))).toBe('machine-40');
    expect(elfArch(header(0x15, true))).toBe('machine-21');
    expect(elfArch(Buffer.from('#!/bin/sh\necho hello, this is not an ELF file\n'))).toBeUndefined();
    expect(elfArch(header(0xb7).subarray(0, 19))).toBeUndefined();
  });
});

/** The image archive of a module package, unpacked next to it. */
async function imageOf(bpkg: string): Promise<string> {
  const out = path.join(tempDir(), 'unpacked');
  mkdirSync(out);
  await extract({ file: bpkg, cwd: out });
  return path.join(out, 'payload/image.tar');
}

/** The image config (architecture, os) inside a docker-archive. */
function imageConfig(archive: string): { architecture: string } {
  const dir = path.join(tempDir(), 'archive');
  mkdirSync(dir);
  execFileSync('tar', ['-xf', archive, '-C', dir, 'manifest.json']);
  const [{ Config }] = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  execFileSync('tar', ['-xf', archive, '-C', dir, Config]);
  return JSON.parse(readFileSync(path.join(dir, Config), 'utf8'));
}
