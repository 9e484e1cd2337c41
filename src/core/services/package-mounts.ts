import path from 'node:path';
import { BlueprintError, NotFoundError } from '../errors.js';
import { entriesNamed, fileListPath, loadDatabase, loadFileList } from '../pkg/db.js';
import { resolveInside } from '../system/beneath.js';
import { layout } from '../system/paths.js';
import { realpath } from './fs-cb.js';
import type { LoadedRegistration } from './registry.js';
import type { ServiceSpec } from './schema.js';

/**
 * Package mounts (docs/package-mounts.md): a service's manifest may ask for a folder of other
 * installed packages, e.g. `{packages: "model-*", source: "models", target: "/models"}` — the llm
 * module serving the separately installed, signed model packages. For each installed package
 * `model-NAME`, exactly its `models/NAME/` is mounted read-only at `/models/NAME`, and the SHA-256
 * values its signed manifest gives for the files there reach the service in `BLUEPRINT_PACKAGES`,
 * so it can re-hash them before it reads them.
 *
 * Trust: only installed packages (each passed its signature check, by a key trusted for where it
 * came from, at install), only the folder named after the package (a package cannot stand in for
 * another's folder: names are unique), judged on disk with every link resolved and refused if any
 * link is on the way, and the hashes read from the package database blueprint wrote at install
 * (var/lib/blueprint/pkg), never from the package's own files.
 */

export type PackageMountSpec = ServiceSpec['packageMounts'][number];

/** One installed package's folder as the sandbox mounts it. */
export interface MountedPackage {
  name: string;
  version: string;
  /** The part of the name the `*` matched; the folder below `source` and below `target`. */
  folder: string;
  /** Host path, real (no link on the way), inside the package's version folder. */
  source: string;
  /** Path inside the container. */
  path: string;
  /** Signed SHA-256 of each file, keyed by its path inside the container without the leading `/`. */
  files: Record<string, string>;
}

export interface PlannedPackageMount {
  spec: PackageMountSpec;
  packages: MountedPackage[];
  /** Packages that match but cannot be mounted, and why (start refuses them). */
  refused: { name: string; reason: string }[];
}

/** The environment variable that carries the mounted packages to the service (JSON). */
export const PACKAGES_ENV = 'BLUEPRINT_PACKAGES';
/** Linux refuses one environment string over 128 KiB (MAX_ARG_STRLEN); leave room for the name. */
const MAX_ENV_BYTES = 120 * 1024;

const prefixOf = (spec: PackageMountSpec) => spec.packages.slice(0, -1);

/** Model packages can also be made on the box from a GGUF at hand (core/models/import.ts). */
const modelImport = (spec: PackageMountSpec) =>
  spec.packages === 'model-*'
    ? ', or make one from a GGUF file: `blueprint model import FILE.gguf --name NAME`'
    : '';

/** The package mounts of a registration (registrations written before them have none). */
export const packageMountsOf = (reg: LoadedRegistration): PackageMountSpec[] => reg.spec.packageMounts ?? [];

/**
 * What each of the service's package mounts would mount now, from the package database. Reads the
 * database and the file lists blueprint wrote at install, and resolves each folder on disk.
 */
export async function planPackageMounts(
  root: string,
  reg: LoadedRegistration,
): Promise<PlannedPackageMount[]> {
  const specs = packageMountsOf(reg);
  if (specs.length === 0) return [];
  const paths = layout(root);
  // A database not JSON, or not a database, or whose entry is not a package's name and version
  // (joined to opt/blueprint below: `../..` had a host folder mounted), is named with what to do by
  // the package manager's reader (damaged-file, exit 7), not a bug: that module loaded only then.
  const db = await loadDatabase(paths)
    .then((d) => {
      if (typeof d.packages !== 'object' || !d.packages || Array.isArray(d.packages)) throw d;
      if (!entriesNamed(d.packages)) throw d;
      return d;
    })
    .catch(async () => (await import('../pkg/installed-db.js')).readInstalled(paths));
  const out: PlannedPackageMount[] = [];
  for (const spec of specs) {
    const planned: PlannedPackageMount = { spec, packages: [], refused: [] };
    const names = Object.keys(db.packages)
      .filter((n) => n.startsWith(prefixOf(spec)) && n.length > prefixOf(spec).length && n !== reg.name)
      .sort();
    for (const name of names) {
      const { version } = db.packages[name]!;
      const refuse = (reason: string) => planned.refused.push({ name, reason });
      const folder = name.slice(prefixOf(spec).length);
      const rel = `${spec.source}/${folder}`;
      // One not JSON, or not a file list: that package's refusal (its reinstall writes it again).
      const list = await loadFileList(paths, name, version).catch(() => null);
      if (!list?.manifest) {
        refuse(
          list === undefined
            ? 'the package database has no file list for it (reinstall it)'
            : `its file list ${fileListPath(paths, name, version)} is damaged (reinstall it)`,
        );
        continue;
      }
      const signed = Object.entries(list.manifest.files ?? {}).filter(([p]) => p.startsWith(`${rel}/`));
      if (signed.length === 0) {
        refuse(`its signed manifest lists no file under ${rel}/`);
        continue;
      }
      const prefix = path.join(paths.optDir, name, version);
      const found = resolveInside(prefix, rel);
      // The folder itself, by its own name: a link anywhere on the way (even one inside the
      // package) could make one package's folder another's, so none is taken.
      const expected = path.join(await realpath(prefix).catch(() => prefix), spec.source, folder);
      if (!found.inside || !found.exists || found.path !== expected) {
        refuse(
          !found.inside
            ? `${rel} leads outside the package once its links are followed`
            : !found.exists
              ? `${rel} is missing from the installed package`
              : `${rel} is reached through a link`,
        );
        continue;
      }
      const target = path.posix.join(spec.target, folder);
      const files = Object.fromEntries(
        signed.map(([p, hash]) => [`${target.slice(1)}/${p.slice(rel.length + 1)}`, hash]),
      );
      planned.packages.push({ name, version, folder, source: found.path, path: target, files });
    }
    out.push(planned);
  }
  return out;
}

/** `BLUEPRINT_PACKAGES`: every mounted package, its folder inside and its signed file hashes. */
export function packagesEnv(planned: PlannedPackageMount[]): Record<string, string> {
  if (planned.length === 0) return {};
  const list = planned.flatMap((p) =>
    p.packages.map(({ name, version, folder, path: at, files }) => ({
      name,
      version,
      folder,
      path: at,
      files,
    })),
  );
  return { [PACKAGES_ENV]: JSON.stringify(list) };
}

/**
 * Before a start: every package mount has at least one package to mount, every matching package
 * can be mounted, and the list fits in the environment. Throws with what to do.
 */
export function checkPackageMounts(service: string, planned: PlannedPackageMount[]): void {
  for (const p of planned) {
    if (p.refused.length) {
      const names = p.refused.map((r) => r.name).join(' ');
      throw new BlueprintError(
        `${service} cannot mount ${p.refused.map((r) => `${r.name}: ${r.reason}`).join('; ')}`,
        'package-mount-refused',
        `Reinstall the package (\`bpkg install --reinstall ${names}\`) or remove it (\`bpkg remove ${names}\`), then start ${service} again.`,
      );
    }
    if (p.packages.length === 0)
      throw new NotFoundError(
        `${service} serves packages named ${p.spec.packages}, and there is no package matching ${p.spec.packages} installed`,
        `Install one, e.g. \`bpkg install ${p.spec.packages.replace('*', 'NAME')}\` (\`bpkg search ${prefixOf(p.spec)}\` lists them)${modelImport(p.spec)}, then start ${service} again.`,
        'package-mount-empty',
      );
  }
  const env = packagesEnv(planned)[PACKAGES_ENV];
  if (env && Buffer.byteLength(env) > MAX_ENV_BYTES)
    throw new BlueprintError(
      `${service}: the signed file list of its packages is ${Buffer.byteLength(env)} bytes, more than the ${MAX_ENV_BYTES} an environment variable can carry`,
      'package-mount-too-large',
      'Remove some of the packages it mounts, or packages with fewer files.',
    );
}
