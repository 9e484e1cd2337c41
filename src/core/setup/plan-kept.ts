import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readJsonIfExists } from '../system/fs.js';
import { NETWORK_CHOICES, SSH_DROP_IN, SUDOERS } from './resources.js';
import { type ApplianceSpec, describeIssues, sshSchema, type UserSpec } from './schema.js';

/**
 * What a description leaves out is not managed by it (docs/fleet.md): `users:` left out keeps the
 * box's admins (their sudo rule, AllowUsers), `ssh:` left out keeps SSH as it is. A partial file
 * (a host name and modules) deleted the sudo rule and turned SSH off: the admin, who has no
 * password, lost sudo and the way in. The kept users and setting are read back from the files
 * setup wrote (the sudo rule, the SSH drop-in, the stored choices); a fresh root has none: no
 * admins, SSH off, as before.
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

async function boxSsh(root: string): Promise<ApplianceSpec['ssh']> {
  const stored = await readJsonIfExists<{ ssh?: unknown }>(path.join(root, NETWORK_CHOICES));
  const judged = sshSchema.safeParse(stored?.ssh ?? {});
  if (!judged.success)
    throw new UsageError(
      `${NETWORK_CHOICES} holds an SSH choice apply no longer accepts: ${describeIssues(judged.error)}`,
      'Give ssh: in the description: apply writes the file anew.',
    );
  return judged.data;
}

/** The spec with what it leaves out taken from the box, and why the plan must stop, if it must. */
export async function keptChoices(
  root: string,
  spec: ApplianceSpec,
): Promise<{ spec: ApplianceSpec; blocked: string[] }> {
  const unmanaged = spec.unmanaged ?? [];
  const blocked: string[] = [];
  const users = unmanaged.includes('users') ? await boxUsers(root) : spec.users;
  const ssh = unmanaged.includes('ssh') ? await boxSsh(root) : spec.ssh;
  if (!unmanaged.includes('users') && !users.some((u) => u.admin)) {
    // Admins have no password: without the rule they have no sudo, and no admin can manage the box.
    const losing = await ruleAdmins(root);
    if (losing.length)
      blocked.push(
        `${users.length ? 'users: with no admin' : 'users: []'} takes passwordless sudo from ${losing.join(', ')}, this box's last admin${losing.length > 1 ? 's' : ''} (no password: no sudo, no way to manage the box): name an admin in users:, or leave users: out to keep the admins the box has`,
      );
  }
  if (unmanaged.length && ssh.enabled && !users.some((u) => u.admin))
    blocked.push(
      'SSH is on, but no admin would be allowed to log in (root login is off): name an admin in users:',
    );
  return { spec: unmanaged.length ? { ...spec, users, ssh } : spec, blocked };
}
