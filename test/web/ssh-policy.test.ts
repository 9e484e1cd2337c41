import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_ACCOUNTS,
  DASHBOARD_WANTS,
  desiredResources,
  SSH_DROP_IN,
} from '../../src/core/setup/resources.js';
import { specSchema } from '../../src/core/setup/schema.js';
import { hasSshd } from '../setup/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * What sshd itself makes of setup's drop-in behind the image's hardening drop-in (`sshd -T`, the
 * effective settings for one user): with the dashboard on, an admin may forward a local port to a
 * unix socket and nothing else; everyone else, and everyone when the dashboard is off, forwards
 * nothing.
 */
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEhv1pYkS2cLqvSxPSD6KXPwPx3VRmK3RXdT9bQZ1L1A ops@laptop';
let dir: string;

beforeAll(async () => {
  dir = tempDir('bp-sshpol-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'hostkey')]);
});

async function effective(dashboard: boolean, user: string): Promise<Record<string, string>> {
  const spec = specSchema.parse({
    hostname: 'box',
    users: [
      { name: 'ops', keys: [KEY] },
      { name: 'viewer', admin: false, keys: [KEY] },
    ],
    ssh: { enabled: true },
    dashboard: { enabled: dashboard },
  });
  const dropIn = desiredResources(spec, BASE_ACCOUNTS).find((r) => r.path === SSH_DROP_IN);
  if (dropIn?.kind !== 'file') throw new Error('no drop-in');
  const d = path.join(dir, String(dashboard), 'd');
  await mkdir(d, { recursive: true });
  await copyFile(
    path.join(import.meta.dirname, '../../image/overlay/etc/ssh/sshd_config.d/05-blueprint-hardening.conf'),
    path.join(d, '05-blueprint-hardening.conf'),
  );
  // The banner file is the image's; not on this host.
  const hard = path.join(d, '05-blueprint-hardening.conf');
  await writeFile(hard, (await readFile(hard, 'utf8')).replace(/^Banner .*$/m, ''));
  await writeFile(path.join(d, '50-blueprint.conf'), dropIn.content);
  const cfg = path.join(dir, String(dashboard), 'sshd_config');
  // Debian's own sshd_config includes the drop-ins first, then says X11Forwarding yes: it must
  // not land inside the drop-in's Match block.
  await writeFile(
    cfg,
    `Include ${d}/*.conf\nHostKey ${path.join(dir, 'hostkey')}\nX11Forwarding yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`,
  );
  const out = execFileSync('/usr/sbin/sshd', [
    '-T',
    '-f',
    cfg,
    '-C',
    `user=${user},host=laptop,addr=127.0.0.1`,
  ])
    .toString()
    .trim()
    .split('\n');
  return Object.fromEntries(out.map((l) => [l.split(' ')[0]!, l.slice(l.indexOf(' ') + 1)]));
}

const forwardingOff = {
  disableforwarding: 'yes',
  allowstreamlocalforwarding: 'no',
  allowtcpforwarding: 'no',
  allowagentforwarding: 'no',
  x11forwarding: 'no',
  permittunnel: 'no',
};

describe.skipIf(!hasSshd)('SSH policy for the web dashboard (sshd -T)', () => {
  it('dashboard on: an admin may forward local ports (to a unix socket), nothing remote', async () => {
    // sshd refuses socket forwards unless TCP forwarding includes local (configs.ts says why).
    expect(await effective(true, 'ops')).toMatchObject({
      disableforwarding: 'no',
      allowstreamlocalforwarding: 'local',
      allowtcpforwarding: 'local',
      permitlisten: 'none',
      gatewayports: 'no',
      allowagentforwarding: 'no',
      x11forwarding: 'no',
      permittunnel: 'no',
    });
  });

  it('dashboard on: a user who is not an admin forwards nothing', async () => {
    expect(await effective(true, 'viewer')).toMatchObject(forwardingOff);
  });

  it('dashboard off: no one forwards anything, and the unit is not wanted', async () => {
    expect(await effective(false, 'ops')).toMatchObject(forwardingOff);
    const spec = specSchema.parse({ hostname: 'box' });
    expect(desiredResources(spec, BASE_ACCOUNTS).find((r) => r.path === DASHBOARD_WANTS)?.kind).toBe(
      'absent',
    );
    const on = specSchema.parse({ hostname: 'box', dashboard: { enabled: true } });
    expect(desiredResources(on, BASE_ACCOUNTS).find((r) => r.path === DASHBOARD_WANTS)).toMatchObject({
      kind: 'symlink',
      target: '/etc/systemd/system/blueprint-web.service',
    });
  });
});
