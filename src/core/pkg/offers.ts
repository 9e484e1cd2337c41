/** What the verified indexes offer: `bpkg search`, `bpkg info` and who signed what install would take. */
import { gt } from 'semver';
import { NotFoundError } from '../errors.js';
import type { InstalledPackage } from './db.js';
import { fetchSignatureBytes } from './fetch.js';
import type { IndexEntry } from './format.js';
import { keepSearchTable } from './index-cache.js';
import { readInstalled } from './installed-db.js';
import type { TrustedKey } from './keyring.js';
import type { ManagerParts } from './parts.js';
import { nameHint } from './resolve.js';
import { candidates, noRepositoryHint, usableStates } from './states.js';
import { joinUrl } from './transport.js';

export interface SearchHit {
  name: string;
  version: string;
  summary: string;
  repo: string;
  installed?: string;
}

export interface OfferInfo {
  name: string;
  installed?: InstalledPackage;
  /** The repository an installed package is upgraded from (see `originOf`). */
  upgradesFrom?: string;
  available: Array<IndexEntry & { repo: string }>;
}

/** The newest offer of each package whose name or summary holds `word`, with the version installed. */
export async function searchOffers(p: ManagerParts, word: string): Promise<SearchHit[]> {
  const w = word.toLowerCase();
  const db = await readInstalled(p.paths);
  const best = new Map<string, SearchHit>();
  const states = await usableStates(p, false);
  // The quick search declined, maybe for a search table missing or changed: made again here from
  // the verified index (an unchanged quick update leaves tables to search, update-fast.ts).
  for (const s of states) await keepSearchTable(p.paths, s.name, s);
  for (const { name: repo, index } of states)
    for (const entry of index.packages) {
      if (!entry.name.includes(w) && !entry.summary.toLowerCase().includes(w)) continue;
      const have = best.get(entry.name);
      if (have && !gt(entry.version, have.version)) continue;
      const installed = db.packages[entry.name]?.version;
      best.set(entry.name, {
        name: entry.name,
        version: entry.version,
        summary: entry.summary,
        repo,
        ...(installed ? { installed } : {}),
      });
    }
  return [...best.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** One package: `installedList` is the manager's `installed()` (origins filled in). */
export async function packageInfo(
  p: ManagerParts,
  name: string,
  installedList: () => Promise<InstalledPackage[]>,
): Promise<OfferInfo> {
  const db = await readInstalled(p.paths);
  const all = await candidates(p, false);
  const available = all
    .filter((c) => c.entry.name === name)
    .map((c) => ({ ...c.entry, repo: c.repo }))
    .sort((a, b) => (gt(a.version, b.version) ? -1 : 1));
  const installed = db.packages[name] && (await installedList()).find((i) => i.name === name);
  if (!installed && available.length === 0)
    throw new NotFoundError(
      `No package named ${name}`,
      nameHint(name, [...all.map((c) => c.entry.name), ...Object.keys(db.packages)], 'info') ??
        (await noRepositoryHint(p)) ??
        'Run `bpkg update`, then `bpkg search WORD`.',
    );
  const from = installed && installed.origin !== 'unknown' ? installed.origin : undefined;
  return { name, ...(installed ? { installed } : {}), ...(from ? { upgradesFrom: from } : {}), available };
}

/** The trusted keys named by the signature of what `install NAME` would take (`info`: its packageInfo). */
export async function offeredSigners(
  p: ManagerParts,
  info: OfferInfo,
): Promise<{ version: string; repo: string; keys: TrustedKey[] }> {
  // What install takes: from the package's origin when it is installed (see `plan`).
  const best = info.available.find((a) => !info.upgradesFrom || a.repo === info.upgradesFrom);
  if (!best) throw new NotFoundError(`${info.name} is not offered by any repository`, 'Run `bpkg update`.');
  const state = (await p.repos.states()).find((s) => s.name === best.repo);
  if (!state) throw new NotFoundError(`Repository ${best.repo} has no verified index`, 'Run `bpkg update`.');
  const signature = await fetchSignatureBytes(`${joinUrl(state.url, best.path)}.asc`);
  return { version: best.version, repo: best.repo, keys: await p.keyring.namedBy(signature) };
}
