import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Linux's own limit on links followed in one lookup (MAXSYMLINKS); a chain longer than it is refused. */
export const MAX_LINK_HOPS = 40;

export type Beneath =
  | {
      inside: true;
      /** The resolved path under the (real) base. */
      path: string;
      /** False when some component does not exist: the rest was judged as plain names. */
      exists: boolean;
    }
  | { inside: false; reason: 'escapes' | 'absolute-link' | 'too-many-links' };

const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * The kernel's real path of `p` where it exists; for a path whose tail does not exist yet, the
 * real path of its longest existing ancestor with the missing names appended. Only `.native`: the
 * JavaScript `realpathSync` has answered wrongly on long link chains.
 */
export function realpathExisting(p: string): string {
  const missing: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync.native(cur), ...missing.reverse());
    } catch (err) {
      const parent = path.dirname(cur);
      if (!isMissing(err) || parent === cur) throw err;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * Resolves `rel` below `base` one component at a time, following every symlink the way the kernel
 * does (a link's target is read against what is really on disk, not its text), and answers whether
 * every step stays inside `base`. Stricter than the kernel on purpose: a `..` that leaves `base`
 * even for a moment, an absolute link, or more than MAX_LINK_HOPS links is refused. Components
 * that do not exist (a dangling link, a folder made later) are judged as plain names, so a link
 * that would point out once they appear is refused too. `base` must be a real path (no links).
 */
export function resolveBeneath(base: string, rel: string): Beneath {
  const pending = rel.split('/').reverse();
  const cur: string[] = [];
  let hops = 0;
  let exists = true;
  while (pending.length) {
    const name = pending.pop()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (!cur.length) return { inside: false, reason: 'escapes' };
      cur.pop();
      continue;
    }
    cur.push(name);
    if (!exists) continue;
    const here = path.join(base, ...cur);
    let isLink: boolean;
    try {
      isLink = lstatSync(here).isSymbolicLink();
    } catch (err) {
      if (!isMissing(err)) throw err;
      exists = false;
      continue;
    }
    if (!isLink) continue;
    if (++hops > MAX_LINK_HOPS) return { inside: false, reason: 'too-many-links' };
    const target = readlinkSync(here);
    if (target.startsWith('/')) return { inside: false, reason: 'absolute-link' };
    cur.pop();
    pending.push(...target.split('/').reverse());
  }
  return { inside: true, path: path.join(base, ...cur), exists };
}

/**
 * `resolveBeneath` with `base` given by any path (it is made real first); where the candidate
 * exists, the kernel's own lookup of the same text (realpath.native) must land inside too, so a
 * mistake in either answer refuses rather than lets through.
 */
export function resolveInside(base: string, rel: string): Beneath {
  const realBase = realpathExisting(base);
  const r = resolveBeneath(realBase, rel);
  if (!r.inside || !r.exists) return r;
  let kernel: string;
  try {
    // Joined as text on purpose: path.join would fold `link/..` before the kernel sees the link.
    kernel = realpathSync.native(`${realBase}/${rel}`);
  } catch {
    return { inside: false, reason: 'escapes' };
  }
  if (kernel !== r.path) return { inside: false, reason: 'escapes' };
  return r;
}
