// Setup on an A/B box (issue 21): the OS updates only through signed RAUC bundles, so setup never
// turns unattended apt upgrades on there (they would upgrade the read-only slot in place), nor
// lets the Debian mirrors through the firewall for them; on a box without RAUC the choice stands.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rebuildEgress } from '../../src/core/setup/egress-disk.js';
import { type ApplianceSpec, planSetup, specSchema } from '../../src/core/setup/index.js';
import { AUTO_UPGRADES, NETWORK_CHOICES } from '../../src/core/setup/resources.js';
import { sshPublicKey, tempRoot } from '../setup/helpers.js';

const spec = (): ApplianceSpec =>
  specSchema.parse({ hostname: 'box-ab', users: [{ name: 'admin', keys: [sshPublicKey()] }] });

async function abRoot(root: string): Promise<void> {
  await mkdir(path.join(root, 'etc/rauc'), { recursive: true });
  await writeFile(path.join(root, 'etc/rauc/system.conf'), '[system]\ncompatible=blueprintos\n');
}

async function upgradesChange(root: string) {
  const plan = await planSetup(root, spec(), []);
  const change = plan.changes.find((c) => c.target === AUTO_UPGRADES)!;
  const content = change.resource?.kind === 'file' ? change.resource.content : '';
  return { plan, change, content };
}

describe('unattended upgrades on an A/B box', () => {
  it('the spec asks for them (the default) and a box without RAUC gets them', async () => {
    const { root, cleanup } = await tempRoot('ab-setup-plain');
    try {
      expect(spec().network.unattendedUpgrades).toBe(true);
      const { plan, change, content } = await upgradesChange(root);
      expect(content).toMatch(/APT::Periodic::Unattended-Upgrade "1"/);
      expect(change.what).toBe('unattended upgrades on');
      expect(plan.egress.some((d) => d.purpose === 'updates')).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('an A/B box gets them off, says why, and allows no Debian mirror for them', async () => {
    const { root, cleanup } = await tempRoot('ab-setup');
    try {
      await abRoot(root);
      const { plan, change, content } = await upgradesChange(root);
      expect(content).toMatch(/APT::Periodic::Unattended-Upgrade "0"/);
      expect(content).toMatch(/APT::Periodic::Update-Package-Lists "0"/);
      expect(change.what).toMatch(/^unattended upgrades off .*bundles/);
      expect(plan.egress.filter((d) => d.purpose === 'updates')).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('rebuilding the egress files from stored choices that say on keeps them off', async () => {
    const { root, cleanup } = await tempRoot('ab-setup-rebuild');
    try {
      await abRoot(root);
      await mkdir(path.join(root, 'etc/blueprint'), { recursive: true });
      await mkdir(path.join(root, 'var/lib/blueprint'), { recursive: true });
      await writeFile(
        path.join(root, NETWORK_CHOICES),
        JSON.stringify({ network: { unattendedUpgrades: true }, ssh: {} }),
      );
      const r = await rebuildEgress(root);
      expect(r.changed).toContain(AUTO_UPGRADES);
      expect(await readFile(path.join(root, AUTO_UPGRADES), 'utf8')).toMatch(
        /APT::Periodic::Unattended-Upgrade "0"/,
      );
      expect(await readFile(path.join(root, 'etc/nftables.conf'), 'utf8')).not.toMatch(/deb\.debian\.org/);
    } finally {
      await cleanup();
    }
  });
});
