import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { auditNetwork, type Listener } from '../services/audit.js';

export type { Listener };

export interface ExposureAudit {
  /** Sockets listening beyond loopback, as `blueprint audit network` reports them. */
  listeners: Listener[];
  /** The root's firewall rules: managed by blueprint (default deny), someone else's, or none. */
  firewall: 'blueprint' | 'other' | 'none';
  /** Ports blueprint's firewall lets in. */
  allowedPorts: number[];
  /** The SSH port when ssh.service is enabled under the root. */
  sshPort?: number;
}

/**
 * SSH's port when it is enabled under the root. The unit link is checked with lstat, as its target
 * (/lib/systemd/...) is outside a root that is not `/`; the port is read from the drop-ins first,
 * as sshd does (first value wins).
 */
export async function sshPortOf(root: string): Promise<number | undefined> {
  const link = path.join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service');
  if (
    !(await lstat(link).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  const dropDir = path.join(root, 'etc/ssh/sshd_config.d');
  const dropIns = (await readdir(dropDir).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.conf'))
    .sort();
  for (const f of [...dropIns.map((d) => path.join(dropDir, d)), path.join(root, 'etc/ssh/sshd_config')]) {
    const m = /^\s*Port\s+(\d+)/im.exec(await readFile(f, 'utf8').catch(() => ''));
    if (m) return Number(m[1]);
  }
  return 22;
}

export async function exposureAudit(root: string): Promise<ExposureAudit> {
  const sshPort = await sshPortOf(root);
  const listeners = (await auditNetwork(root, sshPort === undefined ? {} : { sshPort })).filter(
    (l) => l.proto !== 'unix' && !l.loopback,
  );
  const rules = await readFile(path.join(root, 'etc/nftables.conf'), 'utf8').catch(() => undefined);
  const firewall =
    rules === undefined ? 'none' : rules.includes('Managed by `blueprint') ? 'blueprint' : 'other';
  const allowedPorts = [...(rules ?? '').matchAll(/tcp dport (\d+) ct state new/g)].map((m) => Number(m[1]));
  return { listeners, firewall, allowedPorts, ...(sshPort === undefined ? {} : { sshPort }) };
}
