/**
 * An apply that fails part-way had `changed` in its error but no `restartNeeded` (closing-43's
 * "Left"): a running service whose `resources:` it wrote before the failure keeps its old limit
 * until restarted, and the next apply, finding the file written, calls it unchanged and names no
 * restart either, so the need was said nowhere. Now the failed apply names it, in the hint (with
 * the command) and in --json's error (`restartNeeded`, as a successful apply's; the Ansible module's
 * `restart_needed`). The failure: a second module's start refused by memory admission (a box with
 * 32 MiB available), after the files were written. Two hello copies, signed, on the real Podman.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { blueprintExe, bpkg, makeKey, repoRoot, run, tempDir, trustingRoot } from '../helpers/pkg.js';
import { boxAvailableMiB } from '../services/container-memory.js';
import { engineUp, helloCopy, uniqueName } from '../services/helpers.js';

const exec = promisify(execFile);
const running = uniqueName('bpt-apw-run');
const refused = uniqueName('bpt-apw-new');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', running, refused], env);
});

describe.skipIf(!engineUp)('apply failing part-way', () => {
  it('names the running service whose resources it wrote, in text and --json', async () => {
    const work = tempDir('bp-apply-part-');
    for (const name of [running, refused]) helloCopy(path.join(work, name), { name });
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    const built = await run(
      [
        'repo',
        'build',
        path.join(work, running),
        path.join(work, refused),
        '--repo',
        repo,
        '--key',
        key.privateFile,
      ],
      { env },
    );
    expect(built.code, built.stderr).toBe(0);
    root = await trustingRoot(key, repo);
    const box = root;
    const file = path.join(work, 'appliance.yaml');
    const describe = (memory: string, more = '') =>
      writeFileSync(
        file,
        `hostname: edge-7\nmodules:\n  - name: ${running}\n    state: running\n    resources: { memory: ${memory} }\n${more}`,
      );
    describe('64m');
    const first = await run(['--root', box, '--json', 'apply', '-f', file], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // Its resources changed, and a second module whose start the box has no memory for.
    boxAvailableMiB(box, 32);
    const second = `  - name: ${refused}\n    state: running\n    resources: { memory: 64m }\n`;
    describe('96m', second);
    const failed = await run(['--root', box, '--json', 'apply', '-f', file], { env });
    expect(failed.code, failed.stdout + failed.stderr).not.toBe(0);
    const { error } = JSON.parse(failed.stdout);
    expect(error.changed.map((c: { target: string }) => c.target)).toContain(
      `etc/blueprint/overrides/${running}.json`,
    );
    expect(error.restartNeeded).toEqual([running]);
    const restart = `blueprint --root ${box} service restart ${running}`;
    expect(error.hint).toContain(
      `${running} runs with its old resources until it is restarted: \`${restart}\``,
    );

    // The Ansible module, run as Ansible runs it (its arguments in a file): the failed task's
    // restart_needed, for a rescue that restarts them.
    if (existsSync('/usr/bin/python3') && existsSync('/usr/bin/ansible-playbook')) {
      describe('112m', second);
      const args = path.join(work, 'args.json');
      writeFileSync(
        args,
        JSON.stringify({ ANSIBLE_MODULE_ARGS: { src: file, root: box, executable: blueprintExe } }),
      );
      const module = path.join(repoRoot, 'contrib/ansible/library/blueprint_apply.py');
      const out = await exec('/usr/bin/python3', [module, args]).then(
        (x) => x.stdout,
        (e: { stdout: string }) => e.stdout,
      );
      expect(JSON.parse(out)).toMatchObject({ failed: true, changed: true, restart_needed: [running] });
    }

    // In text too (the same failure: the next apply writes nothing more for it).
    describe('128m', second);
    const text = await run(['--root', box, 'apply', '-f', file], { env });
    expect(text.code).toBe(failed.code);
    expect(text.stderr).toContain(
      `${running} runs with its old resources until it is restarted: \`${restart}\``,
    );
  }, 300_000);
});
