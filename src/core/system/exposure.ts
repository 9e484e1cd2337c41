import { stat } from 'node:fs/promises';
import path from 'node:path';
import { atBeneath, isTree, readFileBeneath } from './beneath.js';
import { auditNetwork, type Listener, type ListenerRole, sshPortOf } from './network.js';

export type { Listener, ListenerRole };

export interface ExposureAudit {
  /** Sockets listening beyond loopback, as `blueprint audit network` reports them. */
  listeners: Listener[];
  /**
   * Whether the kernel's socket tables were there to read (ROOT/proc/net/tcp): false on a root that
   * is not a running box's / (the demo's), where no listener found is nothing read, not none.
   * Always set here; a front end's stand-in may leave it out (read).
   */
  socketsRead?: boolean;
  /** The root's firewall rules: managed by blueprint (default deny), someone else's, or none. */
  firewall: 'blueprint' | 'other' | 'none';
  /** TCP ports blueprint's firewall lets in (new connections). */
  allowedPorts: number[];
  /**
   * UDP ports blueprint's firewall lets in, each from one source port only (setup's DHCP reply
   * rules: 68 from 67, 546 from 547). Absent: none read.
   */
  allowedUdp?: { port: number; from: number }[];
  /** The SSH port when ssh.service is enabled under the root. */
  sshPort?: number;
}

export async function exposureAudit(root: string): Promise<ExposureAudit> {
  const sshPort = await sshPortOf(root);
  // A tree's (status reads any) through its folders' descriptors, as auditNetwork reads it.
  const socketsRead = isTree(root)
    ? await atBeneath(root, 'proc/net/tcp', async (at) =>
        process.getBuiltinModule('node:fs').lstatSync(at).isFile(),
      ).then(
        (r) => r.ok && r.value,
        () => false,
      )
    : await stat(path.join(root, 'proc/net/tcp')).then(
        () => true,
        () => false,
      );
  const listeners = (await auditNetwork(root, sshPort === undefined ? {} : { sshPort })).filter(
    (l) => l.proto !== 'unix' && !l.loopback,
  );
  // The root may be a tree being inspected: a FIFO there held status for good (readFile waits for a
  // writer), a link led out of it, at its name or a folder above (TREE/etc a link had another
  // firewall shown as the tree's). Read from the root down through descriptors (beneath.ts), as a
  // regular file of at most 1 MiB, or no rules read.
  const read = await readFileBeneath(root, 'etc/nftables.conf', 1024 * 1024).catch(() => undefined);
  const rules = read?.ok ? read.bytes.toString('utf8') : undefined;
  const firewall =
    rules === undefined ? 'none' : rules.includes('Managed by `blueprint') ? 'blueprint' : 'other';
  const allowedPorts = [...(rules ?? '').matchAll(/tcp dport (\d+) ct state new/g)].map((m) => Number(m[1]));
  const allowedUdp = [...(rules ?? '').matchAll(/^\s*udp dport (\d+) udp sport (\d+) accept$/gm)].map(
    (m) => ({
      port: Number(m[1]),
      from: Number(m[2]),
    }),
  );
  return {
    listeners,
    socketsRead,
    firewall,
    allowedPorts,
    allowedUdp,
    ...(sshPort === undefined ? {} : { sshPort }),
  };
}
