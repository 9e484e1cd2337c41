/**
 * REVIEW9: private copies of untrusted files left by an earlier process of the same pid. A local
 * package (`bpkg install ./x.bpkg`, and every model import, which installs the package it built) is
 * read once into var/cache/blueprint/packages/.local-PID-UUID.bpkg (a model's size), and a system
 * update bundle named by its path into var/cache/blueprint/system-update-file/.bundle-PID-UUID.raucb
 * (hundreds of MB); a copy a killed process left (SIGKILL, power cut) was removed later only when
 * its pid was dead. The dashboard installs the models it imports itself, and a box booted again
 * after a power cut often gives the next dashboard the very pid of the one that died (the hole
 * 9e0c71a8 closed for its partial uploads): the copy was judged alive and kept for good, in every
 * later free-space check. Now a copy of this process's own pid that it is not using is an earlier
 * one's, removed; one this process is using stays (none is made meanwhile today: local copies are
 * made under the package lock, after its prune; the import's own install, which reads its copy,
 * and a bundle's use of its copy still work). The image also clears them at boot (tmpfiles.d), as
 * it does the uploads: a CLI's pid given to a daemon at the next boot kept its copy too.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { layout } from '../../src/core/system/paths.js';
import { withBundleCopy } from '../../src/core/update/bundle-copy.js';
import { clearAsAtBoot } from '../helpers/boot-tmpfiles.js';
import { tempDir } from '../helpers/pkg.js';
import { F32 } from '../llm/helpers.js';

/** A copy as a process `pid` killed mid-install leaves it in `dir`. */
function leftIn(dir: string, name: (uuid: string) => string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name(randomUUID()));
  writeFileSync(file, Buffer.alloc(64 * 1024, 7), { mode: 0o600 });
  return file;
}

const localCopy = (root: string, pid: number) =>
  leftIn(layout(root).pkgCache, (u) => `.local-${pid}-${u}.bpkg`);
const bundleCopy = (root: string, pid: number) =>
  leftIn(path.join(layout(root).cacheDir, 'system-update-file'), (u) => `.bundle-${pid}-${u}.raucb`);

it("removes a local package's copy of this process's pid that it is not using; the import's own install still reads its", async () => {
  const root = path.join(tempDir('bp-copy-pid-'), 'root');
  mkdirSync(root);
  const earlier = localCopy(root, process.pid);
  // The import installs the package it built through a private copy of this very process.
  const r = await openBox(root, { yes: true }).models.import(F32, { name: 'tiny' });
  expect(r.package).toBe('model-tiny');
  expect(existsSync(earlier)).toBe(false);
});

it("removes a bundle's copy of this process's pid that it is not using; its own stays while used", async () => {
  const root = path.join(tempDir('bp-bundle-pid-'), 'root');
  const earlier = bundleCopy(root, process.pid);
  const workDir = path.dirname(earlier);
  const bundle = path.join(tempDir('bp-bundle-src-'), 'update.raucb');
  writeFileSync(bundle, Buffer.alloc(4096, 1));
  const { result } = await withBundleCopy(bundle, workDir, undefined, async (copy) => existsSync(copy));
  expect(result).toBe(true);
  expect(existsSync(earlier)).toBe(false);
});

it('clears the copies of the last boot at boot (the image), whatever pid they name', () => {
  const root = path.join(tempDir('bp-copy-boot-'), 'root');
  // A live program's pid (the test runner's parent): the daemon the next boot gave it to.
  const copies = [localCopy(root, process.ppid), bundleCopy(root, process.ppid)];
  const archive = path.join(layout(root).pkgCache, 'hello_1.0.0_all.bpkg');
  writeFileSync(archive, 'x');
  clearAsAtBoot(root);
  for (const c of copies) expect(existsSync(c), c).toBe(false);
  expect(existsSync(archive)).toBe(true);
});
