import { access } from 'node:fs/promises';
import path from 'node:path';
import type { NetworkChoices } from './egress.js';

/** RAUC's configuration, present in the root of an A/B image (scripts/build-image-ab.sh). */
export const RAUC_SYSTEM_CONF = 'etc/rauc/system.conf';

/**
 * The network choices as setup applies them under `root`. An A/B box updates its OS only through
 * signed bundles (issue 21): unattended apt upgrades would change the read-only slot in place (and
 * fail half-way), so they stay off whatever the spec or the stored choices say, and no Debian
 * mirror is let through the firewall for them.
 */
export async function choicesForRoot<T extends { network: NetworkChoices }>(
  root: string,
  spec: T,
): Promise<T> {
  if (!spec.network.unattendedUpgrades) return spec;
  const ab = await access(path.join(root, RAUC_SYSTEM_CONF)).then(
    () => true,
    () => false,
  );
  return ab ? { ...spec, network: { ...spec.network, unattendedUpgrades: false } } : spec;
}
