import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlueprintError } from '../../src/core/errors.js';
import { applyPlan, planSetup, specSchema } from '../../src/core/setup/index.js';
import { sshPublicKey, tempRoot } from '../setup/helpers.js';

/**
 * The schema refuses a few system account names (root, daemon, sshd…), but setup took any other
 * name already in /etc/passwd as the spec's user: `proxy`, `www-data`, `backup`, `systemd-network`
 * from an answers or apply file got that system account's locked password opened for key logins,
 * sudo when admin, and its home from passwd (`/bin`, `/var/www`, `/var/backups`, `/`) made a 0750
 * folder owned by it, whatever was there removed first: on Debian 12 `/bin` is a link to usr/bin,
 * so `proxy` removed it and the box no longer started a program by /bin/sh. An account outside the
 * range setup gives (1000-59999) is refused before anything is written.
 */
const DEBIAN_PASSWD = `root:x:0:0:root:/root:/bin/bash
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
alice:x:1000:1000::/home/alice:/bin/bash
`;
const DEBIAN_SHADOW = `root:*:19000:0:99999:7:::
proxy:*:19000:0:99999:7:::
www-data:*:19000:0:99999:7:::
backup:!:19000:0:99999:7:::
systemd-network:!*:19000::::::
alice:!:19000:0:99999:7:::
`;

let root: string;
let cleanup: () => Promise<void>;
const at = (p: string) => path.join(root, p);
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('sysaccounts'));
  await mkdir(at('etc'), { recursive: true });
  await writeFile(at('etc/passwd'), DEBIAN_PASSWD);
  await writeFile(at('etc/group'), 'root:x:0:\nsudo:x:27:\nshadow:x:42:\nproxy:x:13:\nwww-data:x:33:\n');
  await writeFile(at('etc/shadow'), DEBIAN_SHADOW, { mode: 0o640 });
  // Debian 12's merged /usr: /bin is a link into usr.
  await mkdir(at('usr/bin'), { recursive: true });
  await writeFile(at('usr/bin/sh'), '#!fake\n', { mode: 0o755 });
  await symlink('usr/bin', at('bin'));
  await mkdir(at('var/www'), { recursive: true, mode: 0o755 });
  await mkdir(at('var/backups'), { recursive: true, mode: 0o755 });
});
afterEach(() => cleanup());

const spec = (name: string, admin: boolean) =>
  specSchema.parse({ hostname: 'box', users: [{ name, admin, keys: [sshPublicKey('fleet@tool')] }] });

describe('a spec user that names an existing system account', () => {
  it.each([
    ['proxy', true],
    ['www-data', false],
    ['backup', true],
    ['systemd-network', false],
  ] as const)('%s (admin %s) is refused before anything is written', async (name, admin) => {
    const outcome = await planSetup(root, spec(name, admin), [])
      .then((plan) => applyPlan(plan))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(outcome).toBeInstanceOf(BlueprintError);
    expect((outcome as BlueprintError).code).toBe('system-account');
    expect((outcome as BlueprintError).message).toContain(name);
    expect((outcome as BlueprintError).hint).toBeTruthy();
    // Nothing changed: /bin is still the link, the homes root's, the accounts as they were.
    expect(await readlink(at('bin'))).toBe('usr/bin');
    for (const dir of ['var/www', 'var/backups']) {
      const st = await stat(at(dir));
      expect([st.uid, st.mode & 0o777]).toEqual([0, 0o755]);
    }
    await expect(lstat(at('.ssh'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(at('etc/shadow'), 'utf8')).toBe(DEBIAN_SHADOW);
    expect(await readFile(at('etc/passwd'), 'utf8')).toBe(DEBIAN_PASSWD);
  });

  it('an existing ordinary account (uid 1000) is still managed', async () => {
    await applyPlan(await planSetup(root, spec('alice', true), []));
    expect(await readFile(at('etc/shadow'), 'utf8')).toMatch(/^alice:\*:/m);
    expect((await stat(at('home/alice/.ssh/authorized_keys'))).uid).toBe(1000);
    expect(await readlink(at('bin'))).toBe('usr/bin');
  });
});
