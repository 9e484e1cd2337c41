import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StorageError } from '../errors.js';
import { closestName } from '../system/edit-distance.js';
import { writeJsonAtomic } from '../system/fs.js';
import { layout } from '../system/paths.js';
import { atStatePath, readStateText, refuseLink, stateFolderNames } from '../system/state-file.js';
import { readdir, rm } from './fs-cb.js';
import { isModuleName, notAModuleName } from './module-name.js';
import type { AdminApprovals } from './policy.js';
import type { ServiceSpec } from './schema.js';

/**
 * What the package transaction told the services module about an installed module: its service
 * section, where its files are, and what the admin approved at install. One file per version
 * (ROOT/var/lib/blueprint/services/NAME/VERSION.json) so an upgrade that aborts after `prepare`
 * leaves the old version's record intact; the version the package's `current` link names wins,
 * else the highest whose prefix exists (findRegistration).
 * Container state is never stored here: the engine is the source of truth for that.
 * The service section is stored parsed (defaults filled in), so commands need not load the schema.
 */
export interface Registration {
  name: string;
  version: string;
  prefix: string;
  spec: ServiceSpec;
  approvals: AdminApprovals;
  imageId: string;
  /** The manifest's `uses` as written (`llm>=0.1.0`); absent in registrations from before it. */
  uses?: string[];
  /**
   * The key that signed this version, kept when an upgrade (or rollback) replaced it: the package
   * database then names only the new version's (signer.ts). Absent otherwise.
   */
  signer?: string;
}

/** Kept as a name for readers of a registration that was found on disk. */
export type LoadedRegistration = Registration;

/**
 * Orders versions as semver does (x.y.z numerically; a pre-release before its release; its
 * dot-separated identifiers compared in turn, numbers as numbers and before words, fewer before
 * more), without loading semver: the order bpkg installed by, so that `uses` ranges are met at a
 * start exactly as they were at the install (rc.10 after rc.9, not before it as text).
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split(/-(.*)/s, 2);
    return { nums: core!.split('.').map(Number), pre: pre === undefined ? undefined : pre.split('.') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
  if (x.pre === undefined || y.pre === undefined) return x.pre === y.pre ? 0 : x.pre === undefined ? 1 : -1;
  const numeric = (id: string) => /^\d+$/.test(id);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined || q === undefined) return p === undefined ? -1 : 1;
    if (p === q) continue;
    if (numeric(p) && numeric(q)) return Number(p) - Number(q);
    if (numeric(p) !== numeric(q)) return numeric(p) ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/**
 * A registration file that is not one (cut short by a full disk or a crash of an older version,
 * edited by hand): named with its module and the fix, never the JSON parser's or a property's error.
 */
function damaged(file: string, why: string): StorageError {
  const name = path.basename(path.dirname(file));
  return new StorageError(
    `The service registration of ${name} is damaged (${file}: ${why})`,
    'registration-damaged',
    `Install the module again: \`bpkg install ${name} --reinstall\` writes it anew (or remove it: \`bpkg remove ${name}\`).`,
  );
}

/**
 * One registration file, or undefined when it is gone: read as the file itself (state-file.ts): a
 * FIFO there held `--root TREE status` for good, a link was read wherever it led. Either is
 * `not-a-state-file`, named. With node:fs's synchronous calls (a file of ~1 KB blueprint wrote):
 * over its callbacks, `service start`'s one read was seven trips through libuv's thread pool, the
 * only ones of a start, and the first started the pool's four threads (test/services/start-path).
 */
async function readRegistration(file: string): Promise<Registration | undefined> {
  const text = await readStateText(file, { now: true });
  if (text === undefined) return undefined;
  let reg: Partial<Registration> | null;
  try {
    reg = JSON.parse(text);
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
  // What every reader uses without looking: the rest of the spec was filled in at install.
  for (const key of ['name', 'version', 'prefix', 'imageId'] as const)
    if (typeof reg?.[key] !== 'string') throw damaged(file, `no ${key}`);
  if (typeof reg?.spec !== 'object' || reg.spec === null || typeof reg.spec.network !== 'string')
    throw damaged(file, 'no service section');
  return reg as Registration;
}

/** The folder of a module's registrations; the name is judged first (a service name is typed by people). */
const regDir = (root: string, name: string) => {
  if (!isModuleName(name)) throw notAModuleName(name);
  return path.join(layout(root).stateDir, 'services', name);
};

export async function writeRegistration(root: string, reg: Registration): Promise<void> {
  await writeJsonAtomic(path.join(regDir(root, reg.name), `${reg.version}.json`), reg);
}

export async function deleteRegistration(root: string, name: string, version: string): Promise<void> {
  await rm(path.join(regDir(root, name), `${version}.json`), { force: true });
}

/**
 * A folder's names, none when it is not there. Any other failure is thrown: an admin without root
 * reading the registrations' folder (root's, 0700) was told 'No services installed'. Below another
 * user's tree (state-file.ts atStatePath) through descriptors, the folder itself opened without
 * following a link at its name: a link there is refused, named (test/security/status-tree-listings).
 */
const namesIn = (dir: string) =>
  stateFolderNames(dir, (at) =>
    readdir(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as string[];
      throw err;
    }),
  );

/**
 * The version a module's `current` link names, or undefined. Below another user's tree the link
 * itself is read in its folder reached through descriptors (the version it names is only taken
 * when it is one of the registrations' listed versions: a name, never a path).
 */
const currentOf = (root: string, name: string) =>
  atStatePath(
    path.join(layout(root).optDir, name, 'current'),
    (at) => {
      try {
        return readlinkSync(at);
      } catch {
        return undefined;
      }
    },
    undefined,
  );

/** Whether a version's files are there; below another user's tree a link there is refused, named. */
const filesThere = (prefix: string) =>
  atStatePath(
    prefix,
    (at, beneath) => {
      if (!beneath) return existsSync(at);
      refuseLink(at, prefix);
      return lstatSync(at, { throwIfNoEntry: false }) !== undefined;
    },
    false,
  );

async function versions(root: string, name: string): Promise<string[]> {
  const files = await namesIn(regDir(root, name));
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .filter((v) => /^\d+\.\d+\.\d+/.test(v))
    .sort((a, b) => compareVersions(b, a));
}

/**
 * The installed version of a module's service, or undefined when none is installed: the version
 * the package's `current` link names first (an upgrade keeps the previous version, and a rollback
 * or `install NAME@PREVIOUS` makes the lower one current while the higher stays on disk), then the
 * highest whose files are there (no link: a registration made without the package manager).
 * A prefix outside the root (a root copied from another) is read as this root's own
 * ROOT/opt/blueprint/NAME/VERSION.
 */
export async function findRegistration(root: string, name: string): Promise<LoadedRegistration | undefined> {
  if (!isModuleName(name)) return undefined;
  const all = await versions(root, name);
  const current = await currentOf(root, name);
  for (const v of current && all.includes(current) ? [current, ...all.filter((x) => x !== current)] : all) {
    const reg = await registrationAt(root, name, v);
    if (reg) return reg;
  }
  return undefined;
}

/**
 * The registration of one version whose files are there (an upgrade keeps the previous version's
 * until it is removed: its container may still run), or undefined.
 */
export async function registrationAt(
  root: string,
  name: string,
  version: string,
): Promise<LoadedRegistration | undefined> {
  if (!/^\d+\.\d+\.\d+/.test(version) || version.includes('/')) return undefined;
  const reg = await readRegistration(path.join(regDir(root, name), `${version}.json`));
  if (!reg) return undefined;
  // A root copied from another (cp -a) carries registrations naming the other root's files:
  // this root's own copy of that version is the one to mount (and to judge installed by).
  const l = layout(root);
  const rel = path.relative(l.root, reg.prefix);
  const prefix =
    rel.startsWith('..') || path.isAbsolute(rel) ? path.join(l.optDir, name, reg.version) : reg.prefix;
  return (await filesThere(prefix)) ? (prefix === reg.prefix ? reg : { ...reg, prefix }) : undefined;
}

export async function getRegistration(root: string, name: string): Promise<LoadedRegistration> {
  if (!isModuleName(name)) throw notAModuleName(name);
  const reg = await findRegistration(root, name);
  if (reg) return reg;
  // Installed (its current version linked) but registered nothing: a package without a service
  // (hello-data, a model). Installing it again would change nothing.
  const current = await currentOf(root, name);
  if (current !== undefined && current !== '')
    throw new NotFoundError(
      `${name} is installed, but it is a package without a service`,
      'Only modules with a service run; `blueprint service list` shows the installed services.',
    );
  // A letter or two off an installed service's name (`helo`): that one, not an install of the typo.
  const near = closestName(
    name,
    (await namesIn(path.join(layout(root).stateDir, 'services'))).filter(
      (n) => isModuleName(n) && n !== name,
    ),
    true,
  );
  throw new NotFoundError(
    `No installed module named ${name} has a service`,
    near
      ? `Did you mean ${near}? \`blueprint service list\` shows the installed services.`
      : `Install it with \`bpkg install ${name}\`; \`blueprint service list\` shows the installed services.`,
  );
}

/**
 * Every installed service's registration; `known`: ones the caller is reading already (read once).
 * A damaged one (`registration-damaged`) is left out, told to `onDamaged` when given (which may
 * throw it): a package operation, or another module's wiring, goes on, so the fix (reinstall) can run.
 */
export async function listRegistrations(
  root: string,
  known: ReadonlyMap<string, Promise<LoadedRegistration | undefined>> = new Map(),
  onDamaged?: (name: string, err: StorageError) => void,
): Promise<LoadedRegistration[]> {
  const names = await namesIn(path.join(layout(root).stateDir, 'services'));
  const regs = await Promise.all(
    names.sort().map((n) =>
      (known.get(n) ?? findRegistration(root, n)).catch((err: unknown) => {
        if (!(err instanceof StorageError) || err.code !== 'registration-damaged') throw err;
        onDamaged?.(n, err);
        return undefined;
      }),
    ),
  );
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
  // Not every entry is a module's folder (seccomp.json lives beside them).
  for (const name of (await readdir(base).catch(() => [] as string[])).filter(isModuleName)) {
    for (const v of await versions(root, name)) {
      const reg = await readRegistration(path.join(base, name, `${v}.json`)).catch(() => undefined);
      if (reg) out.push(reg);
    }
  }
  return out;
}
