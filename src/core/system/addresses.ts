import { networkInterfaces } from 'node:os';
import path from 'node:path';

/** Interfaces of the container engine and its containers: not where an admin reaches the box. */
const ENGINE = /^(podman|cni-|veth|docker|br-)/;

/**
 * The addresses an admin reaches this box at (QA14: setup's last screen says `ssh ADMIN@HOST`, and
 * nothing showed the box's address): its interfaces' own, less loopback, IPv6 link-local and the
 * engine's bridges. Only for the running system's root: another root's box is not this machine.
 */
export function boxAddresses(root: string, interfaces = networkInterfaces()): string[] {
  if (path.resolve(root) !== '/') return [];
  const out: string[] = [];
  for (const [name, list] of Object.entries(interfaces)) {
    if (ENGINE.test(name)) continue;
    for (const a of list ?? []) {
      if (a.internal || (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address))) continue;
      out.push(a.address);
    }
  }
  return out;
}
