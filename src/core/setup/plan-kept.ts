import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { readStateJson } from '../system/state-file.js';
import { DASHBOARD_WANTS, NETWORK_CHOICES, SSH_DROP_IN, SUDOERS } from './resources.js';
import {
  type ApplianceSpec,
  describeIssues,
  networkSchema,
  sshSchema,
  timezoneField,
  type UserSpec,
} from './schema.js';

/**
 * What a description leaves out is not managed by it (docs/fleet.md): `users:` left out keeps the
 * box's admins (their sudo rule, AllowUsers), `ssh:` left out keeps SSH as it is, and the time
 * zone, the dashboard and the network choices are kept the same way. A partial file (a host name
 * and modules) deleted the sudo rule and turned SSH off: the admin, who has no password, lost sudo
 * and the way in; it also set the box back to UTC, turned the dashboard off and the egress choices
 * (an allow-list modules need) back to the defaults. What is kept is read back from the files
 * setup wrote (the sudo rule, the SSH drop-in, the stored choices, etc/localtime, the dashboard's
 * link); a fresh root has none: no admins, SSH and the dashboard off, UTC, the default network.
 * Setup's answers are not concerned: they always describe the whole box (answersToSpec).
 */

const read = (root: string, p: string) =>
  readFile(path.join(root, p), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });

/** The admins named in the sudo rule setup wrote (configs.ts, sudoers). */
export async function ruleAdmins(root: string): Promise<string[]> {
  return (await read(root, SUDOERS))
    .split('\n')
    .flatMap((l) => /^([a-z_][a-z0-9_-]*) ALL=\(ALL:ALL\) NOPASSWD: ALL$/.exec(l)?.[1] ?? []);
}

/** The users the box has now, as setup wrote them: AllowUsers, and the admins of the sudo rule. */
async function boxUsers(root: string): Promise<UserSpec[]> {
  const admins = await ruleAdmins(root);
  const allowed = /^AllowUsers (.+)$/m.exec(await read(root, SSH_DROP_IN))?.[1]?.split(' ') ?? [];
  const names = [...new Set([...allowed, ...admins])];
  // Their keys are not managed here: no key file is planned for a kept user (resources.ts).
  return names.map((name) => ({ name, admin: admins.includes(name), keys: [] }));
}

/** A choice stored in network.json (`ssh`, `network`), judged by today's schema; defaults without it. */
async function stored<T>(root: string, field: 'ssh' | 'network', schema: z.ZodType<T>): Promise<T> {
  const choices = await readStateJson<Record<string, unknown>>(path.join(root, NETWORK_CHOICES));
  const judged = schema.safeParse(choices?.[field] ?? {});
  if (!judged.success)
    throw new UsageError(
      `${NETWORK_CHOICES} holds ${field === 'ssh' ? 'an SSH choice' : 'network choices'} apply no longer accepts: ${describeIssues(judged.error)}`,
      `Give ${field}: in the description: apply writes the file anew.`,
    );
  return judged.data;
}

/**
 * The zone the box runs in: where etc/localtime points (what the box uses, also after
 * `timedatectl set-timezone`), else etc/timezone; neither: UTC, a fresh root's.
 */
async function boxTimezone(root: string): Promise<string> {
  const link = await readlink(path.join(root, 'etc/localtime')).catch(() => '');
  const seen = [/\/zoneinfo\/(.+)$/.exec(link)?.[1], (await read(root, 'etc/timezone')).trim()];
  const zone = seen.find((t) => t && timezoneField.safeParse(t).success);
  if (zone) return zone;
  if (seen.some((t) => t))
    throw new UsageError(
      `the box's time zone (${seen.flatMap((t) => (t ? [JSON.stringify(t)] : [])).join(', ')}) is not one apply knows`,
      'Give timezone: in the description: apply writes etc/timezone and etc/localtime anew.',
    );
  return 'UTC';
}

/** The dashboard is on when its unit is linked into multi-user.target (resources.ts). */
async function boxDashboard(root: string): Promise<ApplianceSpec['dashboard']> {
  const st = await lstat(path.join(root, DASHBOARD_WANTS)).catch(() => undefined);
  return { enabled: st !== undefined };
}

/** The spec with what it leaves out taken from the box, and why the plan must stop, if it must. */
export async function keptChoices(
  root: string,
  spec: ApplianceSpec,
): Promise<{ spec: ApplianceSpec; blocked: string[] }> {
  const unmanaged = spec.unmanaged ?? [];
  const blocked: string[] = [];
  const users = unmanaged.includes('users') ? await boxUsers(root) : spec.users;
  const ssh = unmanaged.includes('ssh') ? await stored(root, 'ssh', sshSchema) : spec.ssh;
  const kept = {
    timezone: unmanaged.includes('timezone') ? await boxTimezone(root) : spec.timezone,
    dashboard: unmanaged.includes('dashboard') ? await boxDashboard(root) : spec.dashboard,
    network: unmanaged.includes('network') ? await stored(root, 'network', networkSchema) : spec.network,
  };
  if (!unmanaged.includes('users') && !users.some((u) => u.admin)) {
    // Admins have no password: without the rule they have no sudo, and no admin can manage the box.
    const losing = await ruleAdmins(root);
    if (losing.length)
      blocked.push(
        `${users.length ? 'users: with no admin' : 'users: []'} takes passwordless sudo from ${losing.join(', ')}, this box's last admin${losing.length > 1 ? 's' : ''} (no password: no sudo, no way to manage the box): name an admin in users:, or leave users: out to keep the admins the box has`,
      );
  }
  // Both given, the schema judged it.
  if (
    (unmanaged.includes('users') || unmanaged.includes('ssh')) &&
    ssh.enabled &&
    !users.some((u) => u.admin)
  )
    blocked.push(
      'SSH is on, but no admin would be allowed to log in (root login is off): name an admin in users:',
    );
  return { spec: unmanaged.length ? { ...spec, ...kept, users, ssh } : spec, blocked };
}
