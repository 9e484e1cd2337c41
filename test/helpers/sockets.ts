import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Who holds which socket, from /proc: for the "no listener reachable from the network" checks.
 * Those judge the sockets of the processes under test by owner; a before/after diff of the whole
 * machine also catches sockets other tests open at the same time (clean-clone CI runs saw UDP
 * sockets on 0.0.0.0 come and go that way).
 */

/** `pid` and every process under it. */
export async function processTree(pid: number): Promise<Set<number>> {
  const parents: [number, number][] = [];
  for (const p of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(p)) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.push([Number(p), ppid]);
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of parents)
      if (tree.has(pp) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
  }
  return tree;
}

/** The inodes of the sockets the processes hold (as /proc/net/* lists them). */
export async function socketInodes(pids: Iterable<number>): Promise<Set<number>> {
  const out = new Set<number>();
  for (const p of pids)
    for (const fd of await readdir(`/proc/${p}/fd`).catch(() => [] as string[])) {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${p}/fd/${fd}`).catch(() => ''));
      if (m) out.add(Number(m[1]));
    }
  return out;
}

/** The sockets of `pid` and every process under it. */
export async function treeSocketInodes(pid: number): Promise<Set<number>> {
  return socketInodes(await processTree(pid));
}
