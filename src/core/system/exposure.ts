import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { auditNetwork, type Listener, sshPortOf } from './network.js';

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
