import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { atBeneath, isTree, namesBeneath, openFolderBeneath, readFileBeneath } from './beneath.js';
import { type BoundedRead, readBoundedFile, readCappedFile } from './read-bounded.js';

/** More than any box's socket tables (/proc/net/unix is ~100 bytes a socket). */
const PROC_NET_CAP = 64 * 1024 * 1024;

/**
 * `blueprint audit network`: every listening socket of the host, from ROOT/proc/net (so tests can
 * feed fixture files), flagging those reachable from the network.
 */
export interface Listener {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';
  address: string;
  port: number | null;
  inode: number;
  loopback: boolean;
  /** Reachable from other hosts and not the admin-enabled SSH port. */
  flagged: boolean;
  /** Why one beyond loopback is expected, or who holds a DHCP client's port (present/host.ts words it). */
  role?: ListenerRole;
}

/**
 * A listener's reason, as data: SSH the admin enabled; the DHCP client, by its program; or the DHCP
 * client's port held by another program (`null`: its executable could not be read; `notHostFile`:
 * a DHCP client's path in a mount namespace of its own, not the host's file).
 */
export type ListenerRole =
  | { kind: 'ssh' }
  | { kind: 'dhcp-client'; program: string }
  | { kind: 'dhcp-port'; program: string | null; notHostFile?: true };

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';
const UNIX_ACCEPTCON = 0x10000;

/** /proc/net addresses are hex in host byte order (little-endian here), per 32-bit word. */
export function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const v4mapped = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  if (v4mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  return compressIpv6(groups);
}

/** RFC 5952: the longest run of two or more zero groups becomes `::`. */
function compressIpv6(groups: string[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.');
}

function parseInet(text: string, proto: Listener['proto'], state: string): Omit<Listener, 'flagged'>[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9 && f[3] === state)
    .map((f) => {
      const [addrHex, portHex] = f[1]!.split(':');
      const address = decodeAddress(addrHex!);
      return {
        proto,
        address,
        port: Number.parseInt(portHex!, 16),
        inode: Number(f[9]),
        loopback: isLoopback(address),
      };
    });
}

function parseUnix(text: string): Omit<Listener, 'flagged'>[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 7 && (Number.parseInt(f[3]!, 16) & UNIX_ACCEPTCON) !== 0)
    .map((f) => ({
      proto: 'unix' as const,
      address: f[7] ?? '(unnamed)',
      port: null,
      inode: Number(f[6]),
      loopback: true,
    }));
}

export interface AuditOptions {
  /** SSH is enabled by the admin: its port is expected to listen on the network. */
  sshPort?: number;
}

export async function auditNetwork(root: string, opts: AuditOptions = {}): Promise<Listener[]> {
  // Read as the kernel's files are (size 0 in fstat), bounded: a tree's proc/net may be a FIFO. A
  // tree's (status reads any) through its folders' descriptors: TREE/proc a link out had another
  // machine's sockets shown as the tree's. The box's own /proc/net is the kernel's link to self/net.
  const capped = async (f: string): Promise<BoundedRead | undefined> => {
    if (!isTree(root)) return readCappedFile(path.join(root, 'proc/net', f), PROC_NET_CAP);
    const r = await atBeneath(root, `proc/net/${f}`, (at) =>
      readCappedFile(at, PROC_NET_CAP, { kernelLinks: false }),
    );
    return r.ok ? r.value : undefined;
  };
  const read = (f: string) =>
    capped(f).then(
      (r) => (r?.ok ? r.bytes.toString('utf8') : ''),
      () => '',
    );
  const [tcp, tcp6, udp, udp6, unix] = await Promise.all(['tcp', 'tcp6', 'udp', 'udp6', 'unix'].map(read));
  const all = [
    ...parseInet(tcp!, 'tcp', TCP_LISTEN),
    ...parseInet(tcp6!, 'tcp6', TCP_LISTEN),
    ...parseInet(udp!, 'udp', UDP_UNCONNECTED),
    ...parseInet(udp6!, 'udp6', UDP_UNCONNECTED),
    ...parseUnix(unix!),
  ];
  const dhcp = await dhcpHolders(
    root,
    all.filter((l) => isDhcpClientPort(l) && !l.loopback).map((l) => l.inode),
  );
  return all.map((l) => {
    const ssh = opts.sshPort !== undefined && l.proto.startsWith('tcp') && l.port === opts.sshPort;
    const holder = dhcp.get(l.inode);
    const client = holder?.kind === 'dhcp-client';
    return {
      ...l,
      flagged: !l.loopback && !ssh && !client,
      ...(ssh && !l.loopback ? { role: { kind: 'ssh' } as const } : {}),
      ...(holder !== undefined && !l.loopback ? { role: holder } : {}),
    };
  });
}

/**
 * The DHCP clients' programs (systemd-networkd, which the image runs; dhclient, dhcpcd and
 * NetworkManager elsewhere), by the executable the kernel shows for the process (/proc/PID/exe):
 * a process may name itself anything (comm), not run another file. A client binds its port on the
 * leased address to take the server's replies (setup's firewall lets in only those, from port 67
 * or 547); image/README.md, "Secure defaults", and the image's boot test expect it.
 */
const DHCP_CLIENTS = new Set(
  [
    '/usr/lib/systemd/systemd-networkd',
    '/usr/sbin/dhclient',
    '/usr/sbin/dhcpcd',
    '/usr/sbin/NetworkManager',
  ].flatMap((p) => [p, p.replace(/^\/usr/, '')]),
);

/** Whether `a` and `b` (links followed) are the same file: the same device and inode. */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/** DHCPv4's client port on udp, DHCPv6's on udp6. */
const isDhcpClientPort = (l: { proto: string; port: number | null }) =>
  (l.proto === 'udp' && l.port === 68) || (l.proto === 'udp6' && l.port === 546);

/** Bounds on the walk of ROOT/proc: more than any box runs. */
const MAX_PROCESSES = 32_768;
const MAX_FDS = 65_536;

/** How dhcpHolders reads a root's proc: the box's own by name, a tree's through descriptors. */
interface ProcReads {
  /** The numbered entries that are folders (the kernel's /proc has no link at a PID). */
  pids(): Promise<string[]>;
  /** A process's executable, as the link `exe` says it; null: not read. */
  exe(pid: string): Promise<string | null>;
  /** What each of a process's descriptors names (`socket:[INODE]`), '' for one not read. */
  fds(pid: string): Promise<string[]>;
}

const numberedOf = (names: string[]) => names.filter((p) => /^\d+$/.test(p)).slice(0, MAX_PROCESSES);

/** The box's own /proc (and a tree's until it is read so), by name, links at a PID or fd not walked. */
const procByName = (proc: string): ProcReads => {
  const realDir = async (p: string) => (await lstat(p).catch(() => undefined))?.isDirectory() === true;
  return {
    async pids() {
      const out: string[] = [];
      for (const pid of numberedOf(await readdir(proc).catch(() => [] as string[])))
        if (await realDir(path.join(proc, pid))) out.push(pid);
      return out;
    },
    exe: (pid) => readlink(path.join(proc, pid, 'exe')).catch(() => null),
    async fds(pid) {
      const fdDir = path.join(proc, pid, 'fd');
      if (!(await realDir(fdDir))) return [];
      const out: string[] = [];
      for (const fd of (await readdir(fdDir).catch(() => [] as string[])).slice(0, MAX_FDS))
        out.push(await readlink(path.join(fdDir, fd)).catch(() => ''));
      return out;
    },
  };
};

/**
 * A tree's proc (status reads anyone's), through descriptors: TREE/proc opened as beneath.ts opens
 * a tree's folder (no link followed), each PID and its fd folder opened O_DIRECTORY|O_NOFOLLOW in the
 * one held open before, each link read as itself. By name, TREE/proc or TREE/proc/PID swapped for a
 * link after it was judged had another machine's processes named as the tree's DHCP client
 * (test/services/audit-dhcp-links). Undefined: TREE/proc is not the tree's own folder.
 */
async function procBeneath(root: string): Promise<(ProcReads & { close(): Promise<void> }) | undefined> {
  const folder = await openFolderBeneath(root, 'proc').catch(() => undefined);
  if (!folder?.ok) return undefined;
  const { openSync, closeSync, readdirSync, readlinkSync, constants } = process.getBuiltinModule('node:fs');
  const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
  /** `read` given the folder `name` in `at` held open (its /proc/self/fd/N), or undefined. */
  const inFolder = <R>(at: string, name: string, read: (dir: string) => R): R | undefined => {
    let fd: number;
    try {
      fd = openSync(`${at}/${name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      return read(`/proc/self/fd/${fd}`);
    } finally {
      closeSync(fd);
    }
  };
  const link = (p: string, none: string | null) => {
    try {
      return readlinkSync(p);
    } catch {
      return none;
    }
  };
  const proc = `/proc/self/fd/${folder.dir.fd}`;
  return {
    pids: async () => {
      let names: string[] = [];
      try {
        names = readdirSync(proc);
      } catch {}
      return numberedOf(names).filter((pid) => inFolder(proc, pid, () => true) === true);
    },
    exe: async (pid) => inFolder(proc, pid, (dir) => link(`${dir}/exe`, null)) ?? null,
    fds: async (pid) =>
      inFolder(proc, pid, (dir) =>
        inFolder(dir, 'fd', (fdDir) => {
          let names: string[] = [];
          try {
            names = readdirSync(fdDir).slice(0, MAX_FDS);
          } catch {}
          return names.map((fd) => link(`${fdDir}/${fd}`, '') ?? '');
        }),
      ) ?? [],
    close: () => folder.dir.close(),
  };
}

/**
 * The executable of the process holding each of these sockets (by inode), from ROOT/proc/PID/fd's
 * `socket:[INODE]` links; none walked when there is no socket to judge. The DHCP clients' own
 * descriptors first (a box runs one; `status` and the console's Dashboard ask this at every
 * refresh), every other process's only for a socket none of them holds, to name who does. A socket
 * held by no process seen (another PID namespace, a process gone) is not among them. Exported for
 * its test (a tree's proc swapped for a link after proc/net was read).
 */
export async function dhcpHolders(root: string, inodes: number[]): Promise<Map<number, ListenerRole>> {
  const out = new Map<number, ListenerRole>();
  if (!inodes.length) return out;
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const proc = path.join(root, 'proc');
  const beneath = isTree(root) ? await procBeneath(root) : undefined;
  if (isTree(root) && !beneath) return out;
  const reads = beneath ?? procByName(proc);
  try {
    const pids = await reads.pids();
    // A program replaced on disk since it started reads 'PATH (deleted)'; null: not read.
    const exe = new Map<string, string | null>();
    for (const pid of pids) exe.set(pid, (await reads.exe(pid))?.replace(/ \(deleted\)$/, '') ?? null);
    // On the running box a client's program must be the host's own file: a process in a mount
    // namespace of its own (a rootful container on the host's network) shows its own path, which
    // may read /usr/sbin/dhclient. A tree's proc has nothing to compare with; its paths are taken.
    const role = new Map<string, ListenerRole>();
    for (const pid of pids) {
      const program = exe.get(pid)!;
      const named = program !== null && DHCP_CLIENTS.has(program);
      const foreign = named && root === '/' && !(await sameFile(path.join(proc, pid, 'exe'), program));
      role.set(
        pid,
        named && !foreign
          ? { kind: 'dhcp-client', program }
          : { kind: 'dhcp-port', program, ...(foreign ? { notHostFile: true as const } : {}) },
      );
    }
    const clients = pids.filter((p) => role.get(p)!.kind === 'dhcp-client');
    const rest = pids.filter((p) => role.get(p)!.kind !== 'dhcp-client');
    for (const pid of [...clients, ...rest]) {
      for (const target of await reads.fds(pid)) {
        const inode = Number(target.slice(8, -1));
        if (wanted.has(target) && !out.has(inode)) out.set(inode, role.get(pid)!);
      }
      if (out.size === wanted.size) break;
    }
    return out;
  } finally {
    await beneath?.close();
  }
}

/**
 * An sshd config file's text, '' when it cannot be read. A root may be anyone's tree: read as a
 * regular file of bounded size (a FIFO named *.conf held `status` for good), links followed as sshd
 * follows them.
 */
async function configText(file: string): Promise<string> {
  const r = await readBoundedFile(file, 256 * 1024, { followLink: true }).catch(() => undefined);
  return r?.ok ? r.bytes.toString('utf8') : '';
}

/** How sshPortOf reads a root: the box's own by name, a tree's through its folders' descriptors. */
interface SshFiles {
  /** Whether `rel` is there at all, a link included (the unit's link leads out of a tree). */
  there(rel: string): Promise<boolean>;
  names(rel: string): Promise<string[]>;
  text(rel: string): Promise<string>;
}

const boxFiles = (root: string): SshFiles => ({
  there: (rel) =>
    lstat(path.join(root, rel)).then(
      () => true,
      () => false,
    ),
  names: (rel) => readdir(path.join(root, rel)).catch(() => [] as string[]),
  text: (rel) => configText(path.join(root, rel)),
});

// No link of a tree is followed, not even at a config file's name: sshd would follow it inside the
// image, not on this machine; such a file counts as unread (sshd's default then).
const treeFiles = (root: string): SshFiles => ({
  there: async (rel) => {
    const { lstatSync } = process.getBuiltinModule('node:fs');
    const r = await atBeneath(root, rel, async (at) => lstatSync(at)).catch(() => undefined);
    return r?.ok === true;
  },
  names: (rel) => namesBeneath(root, rel),
  text: async (rel) => {
    const r = await readFileBeneath(root, rel, 256 * 1024).catch(() => undefined);
    return r?.ok ? r.bytes.toString('utf8') : '';
  },
});

/**
 * SSH's port when it is enabled under the root (ssh.service or sshd.service wanted by
 * multi-user.target). The unit link is checked with lstat, as its target (/lib/systemd/...) is
 * outside a root that is not `/`; the port is read from the drop-ins first, as sshd does (first
 * value wins), then sshd_config; 22 by default. A tree's files are read through its folders'
 * descriptors (TREE/etc/ssh a link out had another sshd_config's port shown as the tree's).
 */
export async function sshPortOf(root: string): Promise<number | undefined> {
  const files = isTree(root) ? treeFiles(root) : boxFiles(root);
  const wants = 'etc/systemd/system/multi-user.target.wants';
  const enabled = (
    await Promise.all(['ssh.service', 'sshd.service'].map((u) => files.there(`${wants}/${u}`)))
  ).some(Boolean);
  if (!enabled) return undefined;
  const dropDir = 'etc/ssh/sshd_config.d';
  const dropIns = (await files.names(dropDir)).filter((f) => f.endsWith('.conf')).sort();
  for (const f of [...dropIns.map((d) => `${dropDir}/${d}`), 'etc/ssh/sshd_config']) {
    const m = /^\s*Port\s+(\d+)/im.exec(await files.text(f));
    if (m) return Number(m[1]);
  }
  return 22;
}
