import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a path would lead once every link on it is followed, judged by the kernel
 * (`realpathSync.native`; the JavaScript realpath has answered wrongly on long chains). A dangling
 * link is followed as far as the file system goes and the rest is taken as text, so a link that
 * only escapes once a missing folder appears still counts. `undefined`: a loop the kernel refuses
 * (ELOOP) - it leads nowhere.
 */
export function whereItLeads(p: string, hops = 0): string | undefined {
  try {
    return realpathSync.native(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return undefined;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  if (hops > 40) return undefined;
  // Walk component by component from the root. Never path.resolve/join a link's target onto what
  // follows: they normalise `up/..` as text, which is exactly the mistake under test.
  let cur = '/';
  const parts = (path.isAbsolute(p) ? p : `${process.cwd()}/${p}`).split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '.') continue;
    if (part === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = cur === '/' ? `/${part}` : `${cur}/${part}`;
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(next);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      const link = readlinkSync(next);
      const rest = parts.slice(i + 1).join('/');
      const target = link.startsWith('/') ? link : `${cur}/${link}`;
      return whereItLeads(rest ? `${target}/${rest}` : target, hops + 1);
    }
    cur = next;
  }
  return cur;
}

export const inside = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

export interface TreeEntry {
  rel: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  nlink: number;
}

/** Every entry under `dir`, without following links. */
export function walk(dir: string, rel = ''): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(dir, r));
    const kind = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    out.push({ rel: r, kind, nlink: st.nlink });
    if (kind === 'dir') out.push(...walk(dir, r));
  }
  return out;
}

/**
 * What is wrong with an unpacked package folder: top level only manifest.json (a plain file) and
 * payload/; nothing under payload/ leads outside it; no device, FIFO or socket; no file shared by
 * a hard link. Empty when all is well.
 */
export function escapesFrom(dest: string): string[] {
  const problems: string[] = [];
  const realDest = realpathSync.native(dest);
  const payload = path.join(realDest, 'payload');
  for (const e of walk(realDest)) {
    const abs = path.join(realDest, e.rel);
    if (e.rel === 'manifest.json') {
      if (e.kind !== 'file') problems.push(`manifest.json is a ${e.kind}`);
      continue;
    }
    if (e.rel !== 'payload' && !e.rel.startsWith('payload/')) {
      problems.push(`unexpected ${e.kind} ${e.rel}`);
      continue;
    }
    if (e.kind === 'other') problems.push(`${e.rel} is a device, FIFO or socket`);
    if (e.kind === 'file' && e.nlink !== 1) problems.push(`${e.rel} has ${e.nlink} hard links`);
    const leads = whereItLeads(abs);
    if (leads !== undefined && !inside(leads, payload))
      problems.push(`${e.rel}${e.kind === 'link' ? ` -> ${readlinkSync(abs)}` : ''} leads to ${leads}`);
  }
  return problems;
}
