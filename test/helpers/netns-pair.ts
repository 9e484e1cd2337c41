import { execFileSync, spawnSync } from 'node:child_process';

/** `ADDR/LEN`, then any further `ip addr add` arguments (such as `nodad`). */
export type Address = [string, ...string[]];

/**
 * Two network namespaces joined by a veth pair, for the firewall tests that send real packets:
 * `box` (where the box's rules are loaded) and `net` (the outside), named from `tag` so that
 * parallel runs do not meet. Nothing outside the two namespaces is touched.
 */
export function netnsPair(tag: string) {
  const box = `${tag}-box`;
  const net = `${tag}-net`;
  const boxDev = `${tag}a`;
  const netDev = `${tag}b`;
  /** Runs a command in a namespace; its stdout. */
  const sh = (ns: string, ...argv: string[]) =>
    execFileSync('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe' }).toString();
  return {
    box,
    net,
    boxDev,
    netDev,
    sh,
    /**
     * Makes both namespaces and the link, gives each end its addresses (each `ADDR/LEN` with any
     * further `ip addr add` arguments, such as `nodad`) and brings the ends and loopback up.
     */
    create(addresses: { box: Address[]; net: Address[] }): void {
      execFileSync('ip', ['netns', 'add', box]);
      execFileSync('ip', ['netns', 'add', net]);
      execFileSync('ip', [
        'link',
        'add',
        boxDev,
        'netns',
        box,
        'type',
        'veth',
        'peer',
        'name',
        netDev,
        'netns',
        net,
      ]);
      for (const [ns, dev, list] of [
        [box, boxDev, addresses.box],
        [net, netDev, addresses.net],
      ] as const)
        for (const [addr, ...more] of list) sh(ns, 'ip', 'addr', 'add', addr, 'dev', dev, ...more);
      for (const [ns, dev] of [
        [box, boxDev],
        [net, netDev],
      ] as const) {
        sh(ns, 'ip', 'link', 'set', dev, 'up');
        sh(ns, 'ip', 'link', 'set', 'lo', 'up');
      }
    },
    /** Deletes both namespaces (and with them the link), whatever was made. */
    remove(): void {
      for (const ns of [box, net]) spawnSync('ip', ['netns', 'del', ns]);
    },
  };
}
