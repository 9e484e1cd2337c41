import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The image under test: `BLUEPRINT_IMAGE_DIR`, or what scripts/build-image.sh wrote to build/image. */
export const imageDir = path.resolve(
  process.env.BLUEPRINT_IMAGE_DIR ?? new URL('../../build/image', import.meta.url).pathname,
);
export const rootfs = path.join(imageDir, 'rootfs');

export function requireImage(): void {
  if (!existsSync(path.join(imageDir, 'root.img')) || !existsSync(rootfs)) {
    throw new Error(
      `no built image in ${imageDir}: run \`npm run test:image\` (it builds one) or \`sudo scripts/build-image.sh\``,
    );
  }
}

/** A file of the image's root filesystem, as text. */
export function readRoot(rel: string): string {
  return readFileSync(path.join(rootfs, rel), 'utf8');
}

export function existsInRoot(rel: string): boolean {
  return existsSync(path.join(rootfs, rel));
}

/** Runs a program of the image inside it (chroot), so the answer comes from the image's own tools. */
export function inRoot(cmd: string, args: string[], input?: string): string {
  return execFileSync('chroot', [rootfs, cmd, ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
}

/**
 * The value each sysctl ends up with at boot, computed the way systemd-sysctl does: *.conf files
 * from every sysctl.d folder, a file in /etc hiding one of the same name further down, all applied
 * in file-name order so the last one wins.
 */
export function effectiveSysctls(): Map<string, string> {
  const dirs = ['etc/sysctl.d', 'run/sysctl.d', 'usr/local/lib/sysctl.d', 'usr/lib/sysctl.d', 'lib/sysctl.d'];
  const files = new Map<string, string>();
  for (const dir of dirs) {
    const full = path.join(rootfs, dir);
    if (!existsSync(full)) continue;
    for (const name of readdirSync(full)) {
      if (name.endsWith('.conf') && !files.has(name)) files.set(name, path.join(dir, name));
    }
  }
  const values = new Map<string, string>();
  for (const name of [...files.keys()].sort()) {
    const rel = files.get(name)!;
    let text: string;
    try {
      text = readRoot(rel);
    } catch {
      continue; // a dangling link, e.g. 99-sysctl.conf -> ../sysctl.conf when that is absent
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim().replace(/^-/, '');
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      values.set(line.slice(0, eq).trim().replaceAll('/', '.'), line.slice(eq + 1).trim());
    }
  }
  return values;
}

/** Units pulled in at boot: the symlinks in /etc/systemd/system/*.wants. */
export function enabledUnits(): Set<string> {
  const base = path.join(rootfs, 'etc/systemd/system');
  const units = new Set<string>();
  for (const dir of readdirSync(base)) {
    if (!dir.endsWith('.wants')) continue;
    for (const unit of readdirSync(path.join(base, dir))) units.add(unit);
  }
  return units;
}

/** `Key=value` pairs of a unit file (repeated keys joined with spaces). */
export function unitSettings(rel: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of readRoot(rel).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    settings.set(key, settings.has(key) ? `${settings.get(key)} ${value}` : value);
  }
  return settings;
}

/** The answers a headless box is provisioned with (`blueprint setup --answers`, src/core/setup/schema.ts). */
export interface ProvisionAnswers {
  hostname: string;
  admin: { name: string; keys: string[] };
  ssh: { enabled: boolean };
  network?: Record<string, unknown>;
  repository?: { name: string; url: string; key: string; fingerprint: string };
  modules?: { name: string; state?: string }[];
}

/**
 * A FAT disk labelled BLUEPRINT holding answers.json (and `files`, by name: a repository key the
 * answers name), made without mounting anything, as a stick prepared on a laptop would be.
 * Returns the disk image's path.
 */
export function provisioningDisk(
  dir: string,
  answers: ProvisionAnswers,
  files: Record<string, string> = {},
): string {
  const disk = path.join(dir, 'blueprint.img');
  execFileSync('mkfs.vfat', ['-n', 'BLUEPRINT', '-C', disk, String(8 * 1024)]);
  for (const [name, content] of Object.entries({ ...files, 'answers.json': JSON.stringify(answers) })) {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    execFileSync('mcopy', ['-i', disk, file, `::/${name}`]);
  }
  return disk;
}
