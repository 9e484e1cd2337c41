/**
 * A section left out of `apply -f` is not managed by the file (docs/fleet.md), for the time zone,
 * the dashboard and the network choices too. A file with only `hostname:` and `modules:` set the box
 * back to UTC, turned an enabled dashboard off (its link, the drop-in's forwarding rule) and put the
 * egress choices back to the defaults (network.json, the firewall): a fleet's partial file silently
 * undid what setup or an earlier apply chose, e.g. an allow-list a module needs. Left out, each is
 * now kept as the box has it; a fresh root still gets UTC, the dashboard off and the default
 * network; a file that names them still changes them. Setup's answers are the whole box as before.
 */
import { lstat, mkdir, readFile, readlink, symlink, unlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  answersSchema,
  answersToSpec,
  applyPlan,
  DEFAULT_NETWORK,
  pendingChanges,
  planSetup,
  specSchema,
} from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

const box = boxPerTest('sections');
const at = box.at;
const planOf = (spec: object) => planSetup(box.root, specSchema.parse(spec), []);

const DASHBOARD_ON = 'etc/systemd/system/multi-user.target.wants/blueprint-web.service';
const DROP_IN = 'etc/ssh/sshd_config.d/50-blueprint.conf';
const FILES = [
  'etc/timezone',
  'etc/blueprint/network.json',
  'etc/nftables.conf',
  'etc/dnsmasq.d/50-blueprint.conf',
  'etc/systemd/resolved.conf.d/60-blueprint-dns.conf',
  'etc/systemd/timesyncd.conf.d/60-blueprint-ntp.conf',
  'etc/apt/apt.conf.d/21blueprint-auto-upgrades',
  DROP_IN,
];
const LINKS = ['etc/localtime', DASHBOARD_ON];
const NETWORK = {
  dns: { servers: ['9.9.9.9#dns.quad9.net'], tls: true },
  ntp: ['time.example.org'],
  unattendedUpgrades: false,
  allow: ['objects.example.org:443'],
};

const snapshot = async () => ({
  files: await Promise.all(FILES.map((f) => readFile(at(f), 'utf8'))),
  links: await Promise.all(LINKS.map((l) => readlink(at(l)))),
});

async function setUp() {
  const full = specSchema.parse({
    hostname: 'box-01',
    timezone: 'Europe/Paris',
    users: [{ name: 'ops', keys: [sshPublicKey('ops@fleet')] }],
    dashboard: { enabled: true },
    network: NETWORK,
  });
  await applyPlan(await planSetup(box.root, full, []));
  return snapshot();
}

describe('apply -f with timezone, dashboard: and network: left out', () => {
  it('keeps the time zone, the dashboard and the network choices; the dry run plans no change to them', async () => {
    const before = await setUp();
    expect(before.links).toEqual([
      '/usr/share/zoneinfo/Europe/Paris',
      '/etc/systemd/system/blueprint-web.service',
    ]);
    expect(before.files[2]).toContain('9.9.9.9');
    expect(before.files[3]).toContain('objects.example.org');
    const partial = specSchema.parse({ hostname: 'box-02', modules: [] });
    const plan = await planSetup(box.root, partial, []);
    expect(plan.blocked).toEqual([]);
    const touched = pendingChanges(plan).map((c) => c.target);
    expect(touched).toContain('etc/hostname');
    for (const p of [...FILES, ...LINKS]) expect(touched).not.toContain(p);
    expect(plan.live.flat()).not.toContain('blueprint-web.service');
    expect(plan.egress.map((d) => d.host)).toContain('objects.example.org');
    await applyPlan(plan);
    expect(await snapshot()).toEqual(before);
    expect(await readFile(at('etc/hostname'), 'utf8')).toBe('box-02\n');
    // Applied again: nothing to do.
    expect(pendingChanges(await planSetup(box.root, partial, []))).toEqual([]);
  });

  it('a file that names them still changes them', async () => {
    await setUp();
    const named = specSchema.parse({
      hostname: 'box-01',
      timezone: 'UTC',
      dashboard: { enabled: false },
      network: {},
    });
    const plan = await planSetup(box.root, named, []);
    const touched = pendingChanges(plan).map((c) => c.target);
    for (const p of [
      'etc/timezone',
      'etc/localtime',
      DASHBOARD_ON,
      'etc/blueprint/network.json',
      'etc/nftables.conf',
    ])
      expect(touched).toContain(p);
    await applyPlan(plan);
    expect(await readFile(at('etc/timezone'), 'utf8')).toBe('UTC\n');
    expect(await readlink(at('etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    await expect(lstat(at(DASHBOARD_ON))).rejects.toThrow(/ENOENT/);
    const stored = JSON.parse(await readFile(at('etc/blueprint/network.json'), 'utf8'));
    expect(stored.network).toEqual(DEFAULT_NETWORK);
    expect(await readFile(at('etc/nftables.conf'), 'utf8')).not.toContain('9.9.9.9');
    expect(await readFile(at('etc/dnsmasq.d/50-blueprint.conf'), 'utf8')).not.toContain(
      'objects.example.org',
    );
  });

  it('one section named, the others kept: the dashboard turned off, the zone and network stay', async () => {
    const before = await setUp();
    await applyPlan(await planOf({ hostname: 'box-01', dashboard: {} }));
    await expect(lstat(at(DASHBOARD_ON))).rejects.toThrow(/ENOENT/);
    expect(await readlink(at('etc/localtime'))).toBe(before.links[0]);
    expect(await readFile(at('etc/nftables.conf'), 'utf8')).toBe(before.files[2]);
  });

  it('a fresh root with them left out: UTC, the dashboard off, the default network, as before', async () => {
    const plan = await planOf({ hostname: 'box-01' });
    expect(plan.blocked).toEqual([]);
    await applyPlan(plan);
    expect(await readFile(at('etc/timezone'), 'utf8')).toBe('UTC\n');
    expect(await readlink(at('etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    await expect(lstat(at(DASHBOARD_ON))).rejects.toThrow(/ENOENT/);
    const stored = JSON.parse(await readFile(at('etc/blueprint/network.json'), 'utf8'));
    expect(stored.network).toEqual(DEFAULT_NETWORK);
  });

  it('the zone the box runs in (etc/localtime, as timedatectl leaves it) is kept; one apply cannot read is refused', async () => {
    await mkdir(at('etc/blueprint'), { recursive: true });
    await symlink('/usr/share/zoneinfo/Asia/Tokyo', at('etc/localtime'));
    await writeFile(at('etc/timezone'), 'Europe/Paris\n');
    const plan = await planOf({ hostname: 'box-01' });
    expect(plan.spec.timezone).toBe('Asia/Tokyo');
    expect(pendingChanges(plan).map((c) => c.target)).not.toContain('etc/localtime');
    await writeFile(at('etc/timezone'), 'Mars/Olympus\n');
    // Not a link into the zone files: a file of its own (never written through the link).
    await unlink(at('etc/localtime'));
    await writeFile(at('etc/localtime'), 'TZif', { flag: 'wx' });
    await expect(planOf({ hostname: 'box-01' })).rejects.toThrow(
      /time zone \("Mars\/Olympus"\) is not one apply knows/,
    );
    // Named in the file, the zone is the file's.
    const named = await planOf({ hostname: 'box-01', timezone: 'UTC' });
    expect(named.spec.timezone).toBe('UTC');
  });

  it('stored network choices apply no longer accepts: refused, naming them, when network: is left out', async () => {
    await mkdir(at('etc/blueprint'), { recursive: true });
    await writeFile(at('etc/blueprint/network.json'), JSON.stringify({ network: { ntp: [] } }));
    await expect(planOf({ hostname: 'box-01' })).rejects.toThrow(
      /network\.json holds network choices apply no longer accepts: ntp/,
    );
    const named = await planOf({ hostname: 'box-01', network: {}, ssh: {} });
    expect(named.spec.network).toEqual(DEFAULT_NETWORK);
  });

  it("setup's answers describe the whole box: left out, they are setup's defaults", async () => {
    await setUp();
    const answers = answersSchema.parse({
      hostname: 'box-01',
      admin: { name: 'ops', keys: [sshPublicKey()], passwordHash: consolePasswordHash() },
    });
    const spec = answersToSpec(answers);
    expect(spec.unmanaged).toBeUndefined();
    await applyPlan(await planSetup(box.root, spec, []));
    expect(await readFile(at('etc/timezone'), 'utf8')).toBe('UTC\n');
    await expect(lstat(at(DASHBOARD_ON))).rejects.toThrow(/ENOENT/);
    const stored = JSON.parse(await readFile(at('etc/blueprint/network.json'), 'utf8'));
    expect(stored.network).toEqual(DEFAULT_NETWORK);
  });
});
