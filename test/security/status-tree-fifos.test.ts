import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshPortOf } from '../../src/core/system/network.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint --root TREE status` says which port SSH listens on from TREE's sshd_config and its
 * drop-ins, and what listens from TREE/proc/net, and a tree may be anyone's. They were read with
 * readFile: a FIFO named *.conf in sshd_config.d, or at proc/net/tcp, held the command for good.
 * They are now read as regular files of bounded size (read-bounded.ts, opened without waiting for
 * a writer); another kind is passed over, as a file that cannot be read was.
 */
function sshRoot(dropIn: 'fifo' | 'port' | 'proc-fifo'): string {
  const root = tempDir('bp-ssh-dropin-');
  mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  writeFileSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'), '');
  mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/20-port.conf'), 'Port 2222\n');
  if (dropIn === 'fifo')
    expect(spawnSync('mkfifo', [path.join(root, 'etc/ssh/sshd_config.d/10-hold.conf')]).status).toBe(0);
  if (dropIn === 'proc-fifo') {
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    expect(spawnSync('mkfifo', [path.join(root, 'proc/net/tcp')]).status).toBe(0);
  }
  return root;
}

const status = (root: string) =>
  spawnSync(blueprintExe, ['--root', root, 'status'], {
    encoding: 'utf8',
    timeout: 15_000,
    killSignal: 'SIGKILL',
  });

describe('FIFOs in the tree status reads', () => {
  it('among sshd_config drop-ins: status does not hang on it', () => {
    const r = status(sshRoot('fifo'));
    expect(r.signal, 'killed after 15 s: it hung').toBeNull();
    expect(r.stdout).toMatch(/exposure/);
  });

  it('at proc/net/tcp: status does not hang on it', () => {
    const r = status(sshRoot('proc-fifo'));
    expect(r.signal, 'killed after 15 s: it hung').toBeNull();
    expect(r.stdout).toMatch(/exposure/);
  });

  it('the port is read from a drop-in as before, the FIFO passed over', async () => {
    expect(await sshPortOf(sshRoot('port'))).toBe(2222);
    expect(await sshPortOf(sshRoot('fifo'))).toBe(2222);
  });
});
