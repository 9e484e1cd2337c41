import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { compare, valid } from 'semver';
import { NotFoundError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../system/fs.js';
import { layout } from '../system/paths.js';
import type { AdminApprovals } from './policy.js';
import { parseService, type ServiceSpec } from './schema.js';

/**
 * What the package transaction told the services module about an installed module: its service
 * section, where its files are, and what the admin approved at install. One file per version
 * (ROOT/var/lib/blueprint/services/NAME/VERSION.json) so an upgrade that aborts after `prepare`
 * leaves the old version's record intact; the highest version whose prefix exists wins.
 * Container state is never stored here: the engine is the source of truth for that.
 */
export interface Registration {
  name: string;
  version: string;
  prefix: string;
  service: unknown;
  approvals: AdminApprovals;
  imageId: string;
}

export interface LoadedRegistration extends Registration {
  spec: ServiceSpec;
}

const regDir = (root: string, name: string) => path.join(layout(root).stateDir, 'services', name);

export async function writeRegistration(root: string, reg: Registration): Promise<void> {
  await writeJsonAtomic(path.join(regDir(root, reg.name), `${reg.version}.json`), reg);
}

export async function deleteRegistration(root: string, name: string, version: string): Promise<void> {
  await rm(path.join(regDir(root, name), `${version}.json`), { force: true });
}

async function versions(root: string, name: string): Promise<string[]> {
  const files = await readdir(regDir(root, name)).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .filter((v) => valid(v))
    .sort((a, b) => compare(b, a));
}

/** The installed version of a module's service, or undefined when none is installed. */
export async function findRegistration(root: string, name: string): Promise<LoadedRegistration | undefined> {
  for (const v of await versions(root, name)) {
    const reg = await readJsonIfExists<Registration>(path.join(regDir(root, name), `${v}.json`));
    if (reg && existsSync(reg.prefix)) return { ...reg, spec: parseService(reg.service) };
  }
  return undefined;
}

export async function getRegistration(root: string, name: string): Promise<LoadedRegistration> {
  const reg = await findRegistration(root, name);
  if (!reg)
    throw new NotFoundError(
      `No installed module named ${name} has a service`,
      'Install it with `bpkg install NAME`; `blueprint service list` shows the installed services.',
    );
  return reg;
}

export async function listRegistrations(root: string): Promise<LoadedRegistration[]> {
  const names = await readdir(path.join(layout(root).stateDir, 'services')).catch(() => [] as string[]);
  const regs = await Promise.all(names.sort().map((n) => findRegistration(root, n)));
  return regs.filter((r): r is LoadedRegistration => r !== undefined);
}

/** Other registered versions still using an image (an upgrade that kept the same image). */
export async function imageStillUsed(
  root: string,
  imageId: string,
  name: string,
  version: string,
): Promise<boolean> {
  for (const reg of await listAllVersions(root)) {
    if (reg.imageId === imageId && !(reg.name === name && reg.version === version)) return true;
  }
  return false;
}

async function listAllVersions(root: string): Promise<Registration[]> {
  const base = path.join(layout(root).stateDir, 'services');
  const out: Registration[] = [];
  for (const name of await readdir(base).catch(() => [] as string[])) {
    for (const v of await versions(root, name)) {
      const reg = await readJsonIfExists<Registration>(path.join(base, name, `${v}.json`));
      if (reg) out.push(reg);
    }
  }
  return out;
}
