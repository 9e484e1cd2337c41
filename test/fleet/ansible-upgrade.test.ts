/**
 * docs/fleet.md said how to make boxes match a description, but not how to roll a new version of
 * their modules out (apply installs a module once and never upgrades it). The upgrade playbook it
 * shows now is run here as written, by Debian's ansible-playbook (local connection, a temp root):
 * --check reports the upgrade and changes nothing, the run is `changed` and installs the new
 * version, the next run is `ok` with nothing changed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blueprintExe, bpkg, makeKey, makeSource, repoRoot, run, tempDir } from '../helpers/pkg.js';

const exec = promisify(execFile);
const runnable = existsSync('/usr/bin/ansible-playbook') && existsSync(blueprintExe);

function documentedPlaybook(): string {
  const doc = readFileSync(path.join(repoRoot, 'docs/fleet.md'), 'utf8');
  const block = /```yaml\n(# upgrade\.yml[\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/fleet.md has no upgrade.yml block');
  return block[1]!;
}

describe.skipIf(!runnable)('docs/fleet.md upgrade playbook with Ansible', () => {
  it('--check shows the upgrade, the run upgrades (changed), the next run is ok', async () => {
    const work = tempDir('bp-ansible-upgrade-');
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    const build = (version: string) =>
      run([
        'repo',
        'build',
        makeSource(path.join(work, 'src'), { name: 'good', version }),
        '--repo',
        repo,
        '--key',
        key.privateFile,
      ]);
    expect((await build('1.0.0')).code).toBe(0);
    const root = tempDir('bp-ansible-upgrade-root-');
    expect((await bpkg(root, ['key', 'add', key.publicFile, '--fingerprint', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['repo', 'add', 'main', repo, '--key', key.fingerprint])).code).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    expect((await bpkg(root, ['install', 'good'])).code).toBe(0);
    expect((await build('1.1.0')).code).toBe(0);

    writeFileSync(path.join(work, 'upgrade.yml'), documentedPlaybook());
    writeFileSync(
      path.join(work, 'inventory.ini'),
      '[boxes]\nbox ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n',
    );
    const playbook = async (...extra: string[]) => {
      const r = await exec(
        'ansible-playbook',
        [
          '-i',
          'inventory.ini',
          'upgrade.yml',
          '-e',
          `blueprint_root=${root}`,
          '-e',
          `blueprint_executable=${blueprintExe}`,
          ...extra,
        ],
        {
          cwd: work,
          env: {
            PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
            HOME: work,
            ANSIBLE_NOCOLOR: '1',
            ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'),
            ANSIBLE_REMOTE_TMP: path.join(work, 'ansible-remote'),
          },
          maxBuffer: 16 << 20,
        },
      ).then(
        (x) => ({ code: 0, out: x.stdout + x.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
      const recap = /box\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(r.out);
      if (!recap) throw new Error(`no PLAY RECAP:\n${r.out}`);
      return { ...r, changed: Number(recap[2]), failed: Number(recap[4]) };
    };
    const version = async () =>
      (JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as { version: string }[])[0]!.version;

    const check = await playbook('--check');
    expect(check.failed, check.out).toBe(0);
    expect(check.changed, check.out).toBe(1);
    expect(check.out).toContain('1.1.0');
    expect(await version()).toBe('1.0.0');

    const first = await playbook();
    expect(first.failed, first.out).toBe(0);
    expect(first.changed, first.out).toBe(1);
    expect(await version()).toBe('1.1.0');

    const again = await playbook();
    expect(again.failed, again.out).toBe(0);
    expect(again.changed, again.out).toBe(0);
  }, 120_000);
});
