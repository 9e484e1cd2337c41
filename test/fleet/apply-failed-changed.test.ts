/**
 * An apply that fails part-way leaves what it did before (docs/fleet.md), and with --json it must
 * say what that was: the error document had only code, message and hint, so Ansible's module
 * reported a failed task with `changed: false` while the box's host name, accounts and firewall had
 * been rewritten (a handler or a `when: applied is changed` reboot task never ran). Here the
 * package's archive in the repository is damaged, so its install is refused (exit 4) after the
 * files were written: the document's error carries `changed`, and contrib/ansible's module, run as
 * Ansible runs it (its arguments in a file), fails the task with changed true and those changes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyWorkspace } from '../helpers/apply-workspace.js';
import { blueprintExe, damageArchive, repoRoot, run } from '../helpers/pkg.js';

const exec = promisify(execFile);

async function brokenRepoBox() {
  const { work, repo, root, file, repositories } = await applyWorkspace('bp-apply-failed-');
  damageArchive(repo, 'good');
  writeFileSync(
    file,
    ['hostname: edge-31', ...repositories, 'modules: [{ name: good, state: installed }]', ''].join('\n'),
  );
  return { work, file, root };
}

describe('apply that fails part-way, with --json', () => {
  it('the error document lists what was changed before the failure', async () => {
    const { file, root } = await brokenRepoBox();
    const r = await run(['--root', root, '--json', 'apply', '-f', file]);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as { error: { code: string; changed?: { target: string }[] } };
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('edge-31\n');
    const targets = (doc.error.changed ?? []).map((c) => c.target);
    expect(targets).toContain('etc/hostname');
    expect(targets).toContain('main');
    expect(targets).not.toContain('good');
    expect(targets).not.toContain('var/lib/blueprint/setup-done');
    // Run again with the archive still damaged: nothing new is done before the same refusal.
    const again = JSON.parse((await run(['--root', root, '--json', 'apply', '-f', file])).stdout);
    expect(again.error.changed).toEqual([]);
  });

  // Debian's python3, with its ansible package, as the inventory's ansible_python_interpreter.
  it.skipIf(!existsSync('/usr/bin/ansible-playbook'))(
    'the Ansible module fails the task and says it changed the box',
    async () => {
      const { work, file, root } = await brokenRepoBox();
      const args = path.join(work, 'args.json');
      writeFileSync(
        args,
        JSON.stringify({ ANSIBLE_MODULE_ARGS: { src: file, root, executable: blueprintExe } }),
      );
      const module = path.join(repoRoot, 'contrib/ansible/library/blueprint_apply.py');
      const out = await exec('/usr/bin/python3', [module, args]).then(
        (x) => x.stdout,
        (e: { stdout: string }) => e.stdout,
      );
      const task = JSON.parse(out) as { failed?: boolean; changed?: boolean; changes?: { target: string }[] };
      expect(task.failed).toBe(true);
      expect(task.changed).toBe(true);
      expect((task.changes ?? []).map((c) => c.target)).toContain('etc/hostname');
    },
  );
});
