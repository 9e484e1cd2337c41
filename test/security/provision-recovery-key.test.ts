import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempRoot } from '../setup/helpers.js';

/**
 * Headless provisioning (blueprint-provision.service: StandardOutput=journal+console, and the
 * image's journal is persistent) ran `blueprint setup --answers` on the BLUEPRINT stick's answers.
 * With encryption and no recoveryKeyFile, setup printed "Recovery key: ..." on its stdout, which
 * the journal kept on the box for good: anyone who later reads the journal (an admin group, a
 * backup of /var/log, a stolen disk once the TPM unlocks it) holds the key that opens the data
 * without the TPM. The script now runs setup --unattended (setup refuses encryption without
 * recoveryKeyFile before anything is written: test/security/setup-recovery-key-apply-fails.test.ts)
 * and sends setup's stdout, where a key could still appear, to the console only.
 *
 * The real script runs in a private mount namespace: /dev, /run and /usr/local/bin are tmpfs
 * there, /dev/console a plain file, and `blueprint`, `mount`, `umount`, `udevadm` stand-ins.
 */
const script = new URL('../../image/overlay/usr/local/lib/blueprint/provision-from-disk', import.meta.url)
  .pathname;
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';

const usable = (() => {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs t /mnt'], { stdio: 'ignore' }).status === 0;
})();

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision'));
});
afterEach(() => cleanup());

/** Runs the script; `setup` is the stand-in's body for `blueprint` (its argv in "$@"). */
async function provision(
  setup: string,
): Promise<{ rc: number; journal: string; console: string; argv: string }> {
  const fake = path.join(work, 'fakebin');
  await mkdir(fake);
  await mkdir(path.join(work, 'stick'));
  await writeFile(path.join(work, 'stick/answers.json'), '{"hostname":"box"}\n');
  const tools = {
    udevadm: 'exit 0',
    // The stick's folder, read-only, where the script mounts it (its last argument).
    mount: `eval "dest=\\\${$#}"; /usr/bin/mount --bind -o ro "${work}/stick" "$dest"`,
    umount: '/usr/bin/umount "$1"',
  };
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(path.join(fake, name), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(fake, name), 0o755);
  }
  await writeFile(path.join(work, 'blueprint'), `#!/bin/sh\necho "$@" > ${work}/argv\n${setup}\n`);
  await chmod(path.join(work, 'blueprint'), 0o755);
  await writeFile(path.join(work, 'devnull'), '');
  const harness = [
    'set -e',
    `mount --bind /dev/null ${work}/devnull`,
    'mount -t tmpfs dev /dev',
    'mkdir -p /dev/disk/by-label',
    'touch /dev/null /dev/console /dev/disk/by-label/BLUEPRINT',
    `mount --bind ${work}/devnull /dev/null`,
    'mount -t tmpfs run /run',
    'mount -t tmpfs bin /usr/local/bin',
    `cp ${work}/blueprint /usr/local/bin/blueprint`,
    `rc=0; PATH="${fake}:$PATH" sh ${script} > ${work}/journal 2>&1 || rc=$?`,
    `cp /dev/console ${work}/console`,
    'exit $rc',
  ].join('\n');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', harness], { encoding: 'utf8' });
  const read = (f: string) => readFile(path.join(work, f), 'utf8').catch(() => '');
  return {
    rc: r.status ?? -1,
    journal: await read('journal'),
    console: await read('console'),
    argv: await read('argv'),
  };
}

describe.skipIf(!usable)('headless provisioning and the recovery key', () => {
  it('runs setup --unattended on the stick’s answers', async () => {
    const r = await provision('exit 0');
    expect(r.rc).toBe(0);
    expect(r.argv.trim()).toBe('setup --unattended --answers /run/blueprint/provision/answers.json');
    expect(r.journal).toMatch(/setting up from answers\.json/);
  });

  it('a key setup prints on its stdout reaches the console, never the journal', async () => {
    const r = await provision(`echo "Recovery key: ${KEY}"; echo "1 change(s) applied" >&2`);
    expect(r.rc).toBe(0);
    expect(r.journal).not.toContain(KEY);
    expect(r.console).toContain(`Recovery key: ${KEY}`);
    // Errors and progress (stderr) are still kept in the journal.
    expect(r.journal).toContain('1 change(s) applied');
  });

  it('setup refusing (exit 2) fails the service, with its message in the journal', async () => {
    const r = await provision(
      'echo "error: encryption.mode tpm without encryption.recoveryKeyFile" >&2; exit 2',
    );
    expect(r.rc).toBe(2);
    expect(r.journal).toMatch(/error: encryption\.mode tpm without encryption\.recoveryKeyFile/);
  });
});
