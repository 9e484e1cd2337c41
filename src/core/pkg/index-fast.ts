import { hasControl } from '../system/text.js';
import type { RepoIndex } from './format.js'; // a type only: erased
// The predicates come from format-checks.ts as format.ts takes them (the same import list, which
// `duplicates` pairs; no logic is repeated): not through format.ts, which imports fastIndex from
// here and loads zod, whose bookkeeping this file is there to skip.
import {
  comparatorsValid,
  DEPENDENCY,
  isIsoDate,
  isRepoPath,
  isSemver,
  PACKAGE_NAME,
  parseDependency,
  parseJsonBytes,
  rangeSatisfiable,
  SHA256,
} from './format-checks.js';

/**
 * indexSchema's checks (format.ts), made directly on the parsed JSON: the same predicates, field by
 * field, without zod's per-value bookkeeping, and each distinct version or dependency range judged
 * once (an index repeats them). 10,000 entries: ~50 ms instead of ~90 ms in zod, CPU, the first
 * pass (as a command makes it).
 *
 * It only ever accepts: anything it does not accept outright (an unknown key, a wrong type, a
 * failed check) returns undefined, and the caller asks zod, which gives the verdict and the
 * message. What it returns is what zod returns for the same input: new objects, keys in the
 * schema's order, `depends` defaulted to []. test/perf/index-fast.test.ts holds it to that.
 *
 * `asParsed.value` is set when what it returns equals `json` itself, key for key and in order (every
 * entry taken as JSON.parse made it): then the bytes `json` was parsed from say exactly the index,
 * and a cache of it can be those bytes (index-cache.ts's writeVerified), with no stringify.
 */
export function fastIndex(json: unknown, asParsed?: { value: boolean }): RepoIndex | undefined {
  if (asParsed) asParsed.value = false;
  const header = isPlain(json) ? keyShape(json, HEADER_KEYS, HEADER_KEYS.length) : NOT_THESE;
  if (!isPlain(json) || header === NOT_THESE) return undefined;
  let inOrder = header === IN_ORDER;
  const { format, repository, version, generated, expires, packages } = json as Record<string, unknown>;
  if (
    format !== 1 ||
    !isLine(repository, 1, 100) ||
    !isCount(version) ||
    typeof generated !== 'string' ||
    !isIsoDate(generated) ||
    typeof expires !== 'string' ||
    !isIsoDate(expires) ||
    !Array.isArray(packages)
  )
    return undefined;
  const once = memo();
  const out: RepoIndex['packages'] = new Array(packages.length);
  for (let i = 0; i < packages.length; i++) {
    const e = packages[i] as Record<string, unknown>;
    if (!isPlain(e)) return undefined;
    const shape = keyShape(e, ENTRY_KEYS, 'depends' in e ? ENTRY_KEYS.length : ENTRY_KEYS.length - 1);
    if (shape === NOT_THESE) return undefined;
    const { name, version: v, arch, summary, depends, size, sha256, path } = e;
    if (
      typeof name !== 'string' ||
      !PACKAGE_NAME.test(name) ||
      typeof v !== 'string' ||
      !versionHolds(v, once) ||
      (arch !== 'x86_64' && arch !== 'aarch64' && arch !== 'all') ||
      !isLine(summary, 0, 200) ||
      !isCount(size) ||
      typeof sha256 !== 'string' ||
      !SHA256.test(sha256) ||
      typeof path !== 'string' ||
      path.length < 1 ||
      path.length > 1024 ||
      !(PLAIN_REPO_PATH.test(path) || isRepoPath(path))
    )
      return undefined;
    let deps: string[] = [];
    if ('depends' in e) {
      if (!Array.isArray(depends)) return undefined;
      for (const d of depends) if (typeof d !== 'string' || !dependencyHolds(d, once)) return undefined;
      deps = [...(depends as string[])];
    }
    // What JSON.parse made, when it already has the schema's keys in the schema's order: the
    // object zod would return is equal to it, field by field (10,000 fewer objects to make and
    // collect). Otherwise a new one, keys in order.
    if (shape === IN_ORDER) {
      out[i] = e as unknown as RepoIndex['packages'][number];
      continue;
    }
    inOrder = false;
    out[i] = {
      name,
      version: v,
      arch,
      summary: summary as string,
      depends: deps,
      size: size as number,
      sha256,
      path,
    };
  }
  if (asParsed) asParsed.value = inOrder;
  return {
    format: 1,
    repository: repository as string,
    version: version as number,
    generated,
    expires,
    packages: out,
  };
}

/** A memo of checks by key (fastIndex's `once`): an index repeats its versions and ranges. */
export type Once = (key: string, check: () => boolean) => boolean;

/** Memoised checks, each made once per distinct key. */
export function memo(): Once {
  const seen = new Map<string, boolean>();
  return (key, check) => {
    let ok = seen.get(key);
    if (ok === undefined) {
      ok = check();
      seen.set(key, ok);
    }
    return ok;
  };
}

/** Whether an entry's version passes indexSchema's check (isSemver), judged once per version. */
export const versionHolds = (v: string, once: Once): boolean => once(`v${v}`, () => isSemver(v));

/**
 * Whether a dependency passes indexSchema's checks (DEPENDENCY, then its comparators and range).
 * Judged by its range: `a>=1.0.0` and `b>=1.0.0` need one semver pass between them. The range is
 * what follows the name (parseDependency's own split), parsed once per distinct text.
 */
export function dependencyHolds(d: string, once: Once): boolean {
  if (!DEPENDENCY.test(d)) return false;
  const rest = AFTER_NAME.exec(d.trim());
  return once(rest ? `d${rest[1]}` : `D${d}`, () => {
    const { comparators, range } = parseDependency(d);
    return comparatorsValid(comparators) && rangeSatisfiable(range);
  });
}

const HEADER_KEYS = ['format', 'repository', 'version', 'generated', 'expires', 'packages'];
const ENTRY_KEYS = ['name', 'version', 'arch', 'summary', 'depends', 'size', 'sha256', 'path'];

const isPlain = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const NOT_THESE = 0;
const IN_ORDER = 1;
const OTHER_ORDER = 2;

/**
 * Whether `o` has exactly `count` keys, all among `keys` (what JSON.parse makes is only own,
 * enumerable keys; for-in also sees inherited enumerable ones, which can only make it refuse),
 * and whether they come in the order of `keys`. No array made per object.
 */
function keyShape(o: object, keys: string[], count: number): number {
  let n = 0;
  let ordered = true;
  for (const k in o) {
    if (!keys.includes(k)) return NOT_THESE;
    if (k !== keys[n]) ordered = false;
    n++;
  }
  if (n !== count) return NOT_THESE;
  return ordered ? IN_ORDER : OTHER_ORDER;
}

/**
 * Paths as `repo build` writes them: segments of letters, digits and `._+~-`, none starting with a
 * dot (so none is `.` or `..`) or empty. All of them pass isRepoPath; one regular expression
 * instead of its three passes. Any other path is judged by isRepoPath itself.
 */
export const PLAIN_REPO_PATH = /^[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*(?:\/[A-Za-z0-9_+~-][A-Za-z0-9._+~-]*)*$/;

/** parseDependency's split: the name, then the comparators (format.ts). */
const AFTER_NAME = /^[a-z0-9][a-z0-9-]*\s*(.*)$/;

export const isLine = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max && !hasControl(v);

/** zod's z.number().int().nonnegative(): a safe integer, not below zero. */
export const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * An index as parseIndex (format.ts) gives it when fastIndex accepts it outright, without loading
 * zod; undefined otherwise (then parseIndex judges it and explains). Not JSON: the same error.
 */
export function parseIndexFast(bytes: Uint8Array, asParsed?: { value: boolean }): RepoIndex | undefined {
  return fastIndex(parseJsonBytes(bytes, 'Repository index', 'bad-index'), asParsed);
}
