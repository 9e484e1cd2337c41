/**
 * The playbook in docs/fleet.md, run by Debian's ansible-playbook against a real sshd on 127.0.0.1
 * with the contrib/ansible module and the built executable: --check reports the changes and writes
 * nothing of the box's configuration, the first run is `changed`, the second `ok` with nothing
 * changed, and a bad description fails the play with the field named.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueprintExe, repoRoot, tempDir } from '../helpers/pkg.js';
import { freePort } from '../helpers/registry.js';
import { ensureSshdPrivsep, hasSshd } from '../setup/helpers.js';

const run = promisify(execFile);
const runnable =
  hasSshd && existsSync('/usr/bin/ansible-playbook') && existsSync(blueprintExe) && process.getuid?.() === 0;

let work: string;
let root: string;
let sshd: ChildProcess | undefined;

/** The playbook exactly as docs/fleet.md shows it. */
function documentedPlaybook(): string {
  const doc = readFileSync(path.join(repoRoot, 'docs/fleet.md'), 'utf8');
  const block = /```yaml\n(# fleet\.yml[\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/fleet.md has no fleet.yml block');
  return block[1]!;
}

async function playbook(...extra: string[]) {
  const args = [
    '-i',
    path.join(work, 'inventory.ini'),
    path.join(work, 'fleet.yml'),
    '-e',
    `blueprint_root=${root}`,
    '-e',
    `blueprint_executable=${blueprintExe}`,
    ...extra,
  ];
  const env = {
    PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: work,
    ANSIBLE_LIBRARY: path.join(repoRoot, 'contrib/ansible/library'),
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'),
    ANSIBLE_REMOTE_TMP: path.join(work, 'ansible-remote'),
  };
  const r = await run('ansible-playbook', args, { cwd: work, env, maxBuffer: 16 << 20 }).then(
    (x) => ({ code: 0, out: x.stdout + x.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  const recap = /box\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(r.out);
  if (!recap) throw new Error(`no PLAY RECAP:\n${r.out}`);
  return { ...r, ok: Number(recap[1]), changed: Number(recap[2]), failed: Number(recap[4]) };
}

describe.skipIf(!runnable)('docs/fleet.md playbook with Ansible against a real sshd', () => {
  beforeAll(async () => {
    work = tempDir('bp-ansible-');
    root = tempDir('bp-ansible-root-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'id')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'hostkey')]);
    writeFileSync(path.join(work, 'authorized_keys'), readFileSync(path.join(work, 'id.pub')), {
      mode: 0o600,
    });
    const port = await freePort();
    writeFileSync(
      path.join(work, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(work, 'hostkey')}`,
        `PidFile ${path.join(work, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(work, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        '',
      ].join('\n'),
    );
    ensureSshdPrivsep();
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(work, 'sshd_config')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    writeFileSync(
      path.join(work, 'inventory.ini'),
      `[boxes]\nbox ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${path.join(work, 'id')} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n`,
    );
    writeFileSync(path.join(work, 'fleet.yml'), documentedPlaybook());
    mkdirSync(path.join(work, 'fleet/keys'), { recursive: true });
    writeFileSync(path.join(work, 'fleet/appliance.yaml'), 'hostname: edge-17\ntimezone: UTC\n');
  }, 60_000);
  afterAll(() => {
    sshd?.kill();
  });

  it('--check reports what would change and writes none of it; then changed, then ok', async () => {
    const check = await playbook('--check', '--diff');
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/changed: \[box\]/);
    expect(check.out).toContain('create etc/hostname (host name)');
    expect(existsSync(path.join(root, 'etc/hostname'))).toBe(false);

    const first = await playbook();
    expect(first.code, first.out).toBe(0);
    expect(first.changed).toBeGreaterThan(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8').trim()).toBe('edge-17');

    const second = await playbook('--diff');
    expect(second.code, second.out).toBe(0);
    expect(second.changed).toBe(0);
    expect(second.failed).toBe(0);
  }, 240_000);

  it('a bad description fails the play with the field named', async () => {
    writeFileSync(path.join(work, 'fleet/appliance.yaml'), 'hostname: "not a host name!"\n');
    const bad = await playbook();
    expect(bad.code).not.toBe(0);
    expect(bad.failed).toBe(1);
    expect(bad.out).toMatch(/hostname: must be letters, digits and dashes/);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8').trim()).toBe('edge-17');
  }, 120_000);

  // QA26: one description per group, as the docs keep it, was copied as it is: every box of the
  // group got its one `hostname`, and `{{ inventory_hostname }}` in it reached apply unrendered.
  it("one group's description names each box after the inventory, then ok", async () => {
    writeFileSync(
      path.join(work, 'fleet/appliance.yaml'),
      'hostname: "{{ inventory_hostname }}"\ntimezone: UTC\n',
    );
    const first = await playbook();
    expect(first.code, first.out).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8').trim()).toBe('box');
    const second = await playbook();
    expect(second.code, second.out).toBe(0);
    expect(second.changed).toBe(0);
  }, 240_000);
});
