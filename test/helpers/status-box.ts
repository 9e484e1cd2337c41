import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../setup/temp-registry.js';

/** What RAUC 1.8 answered to `rauc status --detailed --output-format=json` after an install. */
export const RAUC_STATUS_FIXTURE = path.resolve('test/update/fixtures/rauc-1.8-status-after-install.json');

/** A folder holding a `rauc` that runs `body` (sh), to put first on PATH. */
export function raucBin(body: string): string {
  const bin = tempDir('bp-status-rauc-');
  writeFileSync(path.join(bin, 'rauc'), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, 'rauc'), 0o755);
  return bin;
}

/**
 * A set-up box as `blueprint status` reads it (test/cli/status-system-egress, web/overview-system-
 * egress): its system version, blueprint's firewall rules, and `network` as the choices setup stored.
 */
export function statusBox(version: string, network: Record<string, unknown>): string {
  const root = tempDir('bp-status-sys-');
  mkdirSync(path.join(root, 'usr/lib/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'usr/lib/blueprint/system-version'), `${version}\n`);
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/nftables.conf'),
    '#!/usr/sbin/nft -f\n# Managed by `blueprint setup` / `blueprint apply`: edits here are overwritten.\n',
  );
  writeFileSync(path.join(root, 'etc/blueprint/network.json'), JSON.stringify({ network }));
  return root;
}
