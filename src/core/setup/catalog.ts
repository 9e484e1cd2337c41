import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { rcompare } from 'semver';
import { BlueprintError, UsageError, VerificationError } from '../errors.js';
import { type IndexEntry, parseIndex } from '../pkg/format.js';
import { rangeOf } from '../pkg/resolve.js';
import { readPublicKeys, verifyDetached } from '../pkg/signature.js';
import { resolveInside } from '../system/beneath.js';
import { closestName } from '../system/edit-distance.js';
import {
  needsFromArchive,
  needsKey,
  type PackageNeeds,
  readBounded,
  readCatalogNeeds,
} from './catalog-needs.js';
import { describeKey, type KeyInfo, type ResolvedRepository } from './keys.js';
import type { ModuleOps } from './ops.js';
import type { ApplianceSpec } from './schema.js';

/**
 * The offline catalog the image carries (issue 18): the official modules built into a signed
 * folder repository at ROOT/usr/share/blueprint/catalog, its public key in `keys/` beside the index
 * (the layout `bpkg bundle` writes). Setup offers it as a checklist and, when the admin picks from
 * it, adds it as the repository `catalog`, bound to that key alone, so the key signs nothing else.
 */
export const CATALOG_DIR = 'usr/share/blueprint/catalog';
/** The repository name setup gives the catalog. */
export const CATALOG_REPO = 'catalog';

const MAX_INDEX_BYTES = 16 * 1024 * 1024;

export interface CatalogEntry {
  name: string;
  version: string;
  summary: string;
  /** The package file's size (from the signed index). */
  packageBytes: number;
  /** What its files take once unpacked. */
  installedBytes: number;
  /** The container image it loads into the engine's storage (0 without a service). */
  imageBytes: number;
  /** The memory its service asks for (service.resources.memory; 0 without a service). */
  memoryBytes: number;
  gpu: 'none' | 'optional' | 'required';
  /** Hosts an outbound module declares (approved at install, `bpkg install --yes`). */
  outbound: string[];
  /** Packages installed with it (its depends and uses, from the signed index), by name. */
  requires: string[];
  /** Packages it serves (`service.packageMounts`, e.g. "model-*"): one must be installed to start it. */
  serves: string[];
  /** Why this entry cannot be installed (its file does not match the signed index...). */
  problem?: string;
}

export interface Catalog {
  /** The catalog folder, links resolved. */
  dir: string;
  /** The URL the repository `catalog` points at. */
  url: string;
  key: KeyInfo;
  entries: CatalogEntry[];
}

function describeEntry(e: IndexEntry, needs: PackageNeeds | Error): CatalogEntry {
  const base: CatalogEntry = {
    name: e.name,
    version: e.version,
    summary: e.summary,
    packageBytes: e.size,
    installedBytes: 0,
    imageBytes: 0,
    memoryBytes: 0,
    gpu: 'none',
    outbound: [],
    requires: e.depends.map((d) => rangeOf(d).name),
    serves: [],
  };
  if (needs instanceof Error) return { ...base, problem: needs.message };
  const { installedBytes, imageBytes, memoryBytes, gpu, outbound, serves } = needs;
  return { ...base, installedBytes, imageBytes, memoryBytes, gpu, outbound, serves };
}

/**
 * The catalog under `root`, or undefined when the box has none. Its index must be signed by the
 * catalog's own key, and so must needs.json, which says what each package needs (memory, disk,
 * GPU) without reading its archive; only a package it does not describe is read (catalog-needs.ts).
 */
export async function readCatalog(root: string): Promise<Catalog | undefined> {
  const found = resolveInside(root, CATALOG_DIR);
  if (!found.inside)
    throw new VerificationError(
      `${CATALOG_DIR} leads outside the root`,
      'catalog-link-escapes',
      `The image is broken: rebuild it (scripts/build-image.sh), or remove the link at ${CATALOG_DIR}.`,
    );
  if (!found.exists) return undefined;
  const dir = found.path;
  // The keys folder judged as the catalog folder is: a link there may not lead out of the root.
  const keys = resolveInside(dir, 'keys');
  if (!keys.inside)
    throw new VerificationError(
      `${CATALOG_DIR}/keys leads outside the catalog`,
      'catalog-link-escapes',
      `The image is broken: rebuild it (scripts/build-image.sh), or remove the link at ${CATALOG_DIR}/keys.`,
    );
  const keyFiles = (await readdir(keys.path).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.pub.asc'),
  );
  if (keyFiles.length !== 1)
    throw new VerificationError(
      `The offline catalog ${dir} must hold exactly one key in keys/ (found ${keyFiles.length})`,
      'catalog-key',
      'The image is broken: rebuild it (scripts/build-image.sh), or remove the catalog folder.',
    );
  const keyText = (
    await readBounded(path.join(keys.path, keyFiles[0]!), 1024 * 1024, 'the catalog key')
  ).toString('utf8');
  const key = await describeKey(keyText, 'catalog key');
  const indexBytes = await readBounded(path.join(dir, 'index.json'), MAX_INDEX_BYTES, 'the catalog index');
  const sig = await readBounded(path.join(dir, 'index.json.asc'), 1024 * 1024, 'the catalog signature');
  await verifyDetached(indexBytes, sig, await readPublicKeys(keyText), 'the offline catalog index');
  const index = parseIndex(indexBytes);
  const newest = new Map<string, IndexEntry>();
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  const usable = index.packages.filter((e) => e.arch === 'all' || e.arch === arch);
  for (const e of [...usable].sort((a, b) => rcompare(a.version, b.version)))
    if (!newest.has(e.name)) newest.set(e.name, e);
  const needs = await readCatalogNeeds(dir, keyText);
  const entries = await Promise.all(
    [...newest.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (e) =>
        describeEntry(
          e,
          needs.get(needsKey(e)) ?? (await needsFromArchive(dir, e).catch((err: Error) => err)),
        ),
      ),
  );
  return { dir, url: pathToFileURL(dir).href, key, entries };
}

/**
 * Is blueprint's default-deny egress in force on this running box? Only on the box itself (root
 * `/`), where /etc/nftables.conf holds blueprint's table; a box folder (tests, images being
 * built) fetches as its host does.
 */
async function boxFirewallInForce(root: string): Promise<boolean> {
  if (path.resolve(root) !== '/') return false;
  const rules = await readFile('/etc/nftables.conf', 'utf8').catch(() => '');
  return /^\s*table inet blueprint\b/m.test(rules);
}

/** ' (did you mean NAME?)' when a name offered is a letter or two off the one asked for. */
function near(name: string, names: string[]): string {
  const close = closestName(name, names);
  return close ? ` (did you mean ${close}?)` : '';
}

/**
 * The repositories a setup plan uses: the ones given, plus the catalog when a module to install is
 * in it (added as `catalog`, bound to the catalog's key only). A module that no source offers is
 * refused here, naming the field, rather than failing halfway through apply.
 */
export async function withCatalog(
  root: string,
  spec: ApplianceSpec,
  repositories: ResolvedRepository[],
  ops: ModuleOps | undefined,
  firewallInForce: () => Promise<boolean> = () => boxFirewallInForce(root),
): Promise<ResolvedRepository[]> {
  if (!ops || !spec.modules.some((m) => m.state !== 'absent')) return repositories;
  const installed = new Set(await ops.installed());
  const missing = spec.modules
    .map((m, i) => ({ ...m, field: `modules.${i}.name` }))
    .filter((m) => m.state !== 'absent' && !installed.has(m.name));
  if (!missing.length) return repositories;
  const catalog = await readCatalog(root);
  const inCatalog = new Set(catalog?.entries.filter((e) => !e.problem).map((e) => e.name) ?? []);
  const configured = await ops.repositories();
  // A repository the spec brings that the box does not have yet: its index is fetched in a scratch
  // box (offeredBy) and judged too, so a typo is refused before anything is written. Without
  // offeredBy it may offer anything, as may any repository when the operations cannot list offers.
  const fresh = repositories.filter((r) => !configured.some((c) => c.name === r.name));
  if (ops.offered && (!fresh.length || ops.offeredBy)) {
    const offered = new Set(await ops.offered());
    let unknown = missing.filter((m) => !inCatalog.has(m.name) && !offered.has(m.name));
    // The file's repositories the box has too are fetched again when a name is not in their kept
    // index: one added by an earlier apply with no module (never fetched), or fetched before the
    // module was published, offers it now, and apply's install updates the indexes first.
    if (unknown.length && repositories.length && ops.offeredBy) {
      // On a running box whose default-deny firewall is in force (the image's, before and after
      // setup) a repository the box has not added yet is not reachable until apply has loaded the
      // rules that allow it: a fetch now waits for its timeout and refuses a good file. Not looked
      // at then, as without a scratch folder; apply's install fetches them once the firewall lets
      // it, and refuses an unknown name there (apply.ts unoffered; test/image/egress).
      const got =
        fresh.length > 0 && (await firewallInForce())
          ? undefined
          : await ops.offeredBy(
              repositories.map((r) => ({
                name: r.name,
                url: r.url,
                ...(r.mirrors ? { mirrors: r.mirrors } : {}),
                armored: r.key.armored,
                fingerprint: r.key.fingerprint,
              })),
            );
      for (const n of got?.offered ?? []) offered.add(n);
      // Not looked at (no scratch folder, or behind the firewall): may offer anything, as before.
      unknown = got ? unknown.filter((m) => !offered.has(m.name)) : [];
      const failed = got?.failed[0];
      if (unknown.length && failed) {
        // The box has not added this repository (its fetch was in a scratch box): the URL to
        // check is the file's, which `bpkg repo list` (the transport's hint) does not show.
        const url = repositories.find((r) => r.name === failed.repo)?.url;
        const added = configured.some((c) => c.name === failed.repo);
        const hint =
          failed.hint?.includes('repo list') && url
            ? `Check the network and the URL the file gives repository ${failed.repo} (${url})${added ? '' : '; the box has not added it yet'}.`
            : failed.hint;
        throw new BlueprintError(
          `${unknown.map((m) => `${m.field}: "${m.name}"`).join(', ')} cannot be checked: the index of repository ${failed.repo} could not be fetched: ${failed.message}`,
          failed.code,
          `${hint ? `${hint} ` : ''}Nothing was written.`,
        );
      }
    }
    if (unknown.length)
      throw new UsageError(
        unknown
          .map(
            (m) =>
              `${m.field}: "${m.name}" is not in the offline catalog (${
                catalog ? [...inCatalog].join(', ') || 'empty' : 'this box has none'
              }) nor in a configured repository${near(m.name, [...offered, ...inCatalog])}`,
          )
          .join('; '),
        offeredHint([...offered]),
      );
  }
  // Setup approves no outbound network (issue 19): that is asked where the hosts are shown.
  const outbound = missing.flatMap((m) => {
    const e = catalog?.entries.find((x) => x.name === m.name && !x.problem);
    return e?.outbound.length ? [{ ...m, hosts: e.outbound }] : [];
  });
  if (outbound.length)
    throw new UsageError(
      outbound
        .map((m) => `${m.field}: "${m.name}" asks for outbound network to ${m.hosts.join(', ')}`)
        .join('; '),
      'Setup does not approve outbound network: install it afterwards, approving its hosts (the console or the dashboard, or `bpkg install --yes NAME`).',
    );
  if (!catalog || !missing.some((m) => inCatalog.has(m.name))) return repositories;
  if (repositories.some((r) => r.name === CATALOG_REPO)) return repositories;
  return [...repositories, { name: CATALOG_REPO, url: catalog.url, key: catalog.key }];
}

/**
 * Where to look for the right name: what the repositories offer, as the plan read them (the
 * file's new ones included, which `bpkg search` on this box does not show yet), at most 12.
 */
function offeredHint(names: string[]): string {
  const sorted = [...new Set(names)].sort();
  if (!sorted.length)
    return 'Check the name, or add the repository that has it (no repository offers a package yet).';
  const shown = sorted.slice(0, 12).join(', ');
  return `Check the name: the repositories offer ${shown}${sorted.length > 12 ? `, … (${sorted.length} in all; \`bpkg search WORD\` once added)` : ''}; or add the repository that has it.`;
}
