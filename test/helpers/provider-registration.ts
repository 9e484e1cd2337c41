import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A provider's registration as `bpkg install` leaves it (no container, no image): version 0.1.0,
 * `socket` its manifest's socket section over `/run/NAME` and `api.sock`. Returns its data folder,
 * made as its first start makes it.
 */
export function providerRegistration(root: string, name: string, socket: Record<string, unknown>): string {
  const prefix = path.join(root, `opt/blueprint/${name}/0.1.0`);
  mkdirSync(prefix, { recursive: true });
  const reg = path.join(root, `var/lib/blueprint/services/${name}`);
  mkdirSync(reg, { recursive: true });
  writeFileSync(
    path.join(reg, '0.1.0.json'),
    JSON.stringify({
      name,
      version: '0.1.0',
      prefix,
      imageId: `sha256:${'a'.repeat(64)}`,
      approvals: { outboundNetwork: false },
      spec: {
        socket: { dir: `/run/${name}`, file: 'api.sock', ...socket },
        network: 'loopback-socket',
        data: '/var/lib/x',
      },
    }),
  );
  const data = path.join(root, `var/lib/blueprint/modules/${name}`);
  mkdirSync(data, { recursive: true });
  return data;
}
