/**
 * blueprint apply that runs to its end past a SIGTERM prints its whole document and exits 143
 * (README's exit codes). The contrib Ansible module failed such a task with `changed: false`, so
 * handlers and `when: applied is changed` skipped though the box had changed. Here the module is
 * pointed at a stand-in that prints a document recorded from the real executable and exits 143
 * (deterministic: no signal timing), and Debian's ansible-playbook runs it: the task fails, and is
 * changed, with the changes listed.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blueprintExe, repoRoot, run, tempDir } from '../helpers/pkg.js';

const exec = promisify(execFile);
const runnable = existsSync('/usr/bin/ansible-playbook') && existsSync(blueprintExe);

describe.skipIf(!runnable)('Ansible module, blueprint exiting 143 after its whole document', () => {
  it('the task is failed and changed, so `when: applied is changed` runs', async () => {
    const work = tempDir('bp-ansible-143-');
    const root = tempDir('bp-ansible-143-root-');
    const description = path.join(work, 'appliance.yaml');
    writeFileSync(description, 'hostname: edge-143\ntimezone: UTC\n');
    // The real document of an apply that changed the box.
    const real = await run(['--root', root, '--json', 'apply', '-f', description]);
    expect(real.code, real.stderr).toBe(0);
    const doc = JSON.parse(real.stdout) as { changed: { target: string }[] };
    expect(doc.changed.map((c) => c.target)).toContain('etc/hostname');
    writeFileSync(path.join(work, 'document.json'), real.stdout);
    const standIn = path.join(work, 'blueprint');
    writeFileSync(standIn, `#!/bin/sh\ncat '${path.join(work, 'document.json')}'\nexit 143\n`, {
      mode: 0o755,
    });

    writeFileSync(
      path.join(work, 'play.yml'),
      [
        '- hosts: boxes',
        '  gather_facts: false',
        '  tasks:',
        '    - name: apply',
        '      blueprint_apply:',
        `        src: ${description}`,
        `        root: ${root}`,
        `        executable: ${standIn}`,
        '      register: applied',
        '      ignore_errors: true',
        '    - name: after a change',
        '      debug:',
        '        msg: "reload-after-change"',
        '      when: applied is changed',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(work, 'inventory.ini'),
      '[boxes]\nbox ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n',
    );
    const r = await exec('ansible-playbook', ['-i', 'inventory.ini', 'play.yml', '-v'], {
      cwd: work,
      env: {
        PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
        HOME: work,
        ANSIBLE_LIBRARY: path.join(repoRoot, 'contrib/ansible/library'),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'),
        ANSIBLE_REMOTE_TMP: path.join(work, 'ansible-remote'),
      },
      maxBuffer: 16 << 20,
    }).then(
      (x) => x.stdout + x.stderr,
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    const recap =
      /box\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)/.exec(
        r,
      );
    expect(recap, r).not.toBeNull();
    // The apply task: failed (ignored) and changed; the `when: applied is changed` task ran.
    expect(Number(recap![7]), r).toBe(1);
    expect(Number(recap![2]), r).toBe(1);
    expect(Number(recap![5]), r).toBe(0);
    expect(r).toContain('reload-after-change');
    expect(r).toMatch(/exited 143/);
    expect(r).toContain('etc/hostname');
  }, 120_000);
});
