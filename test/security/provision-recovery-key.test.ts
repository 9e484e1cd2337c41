import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptionOutcomeText } from '../../src/present/encryption.js';
import { mountNamespaceUsable, standInDev } from '../helpers/mount-namespace.js';
import {
  inMountNamespace,
  provisionScript,
  provisionWork,
  stickMount,
  workFiles,
} from '../helpers/provision-harness.js';
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
 * That console (/dev/console) is the last console= on the command line, the serial line: the
 * screen (tty1) showed nothing of the setup, and setup's stdout holds the key exactly when it is
 * the only copy (the answers' recoveryKeyFile could not be written: /root is read-only on the A/B
 * image, the one that encrypts). On the serial line it was lost unless something was attached and
 * kept it (a console server that logs it is a second journal); on the screen it would be lost too
 * (the getty clears tty1, and an encrypting box reboots seconds after setup to keep its data).
 * So the key is kept in a root-only file in /var/lib/blueprint (as the answers asked for a
 * root-only file on the box), and both consoles show setup's progress and result, with the key's
 * line saying where it is instead of the key; the journal says so too, without the key.
 *
 * The real script runs in a private mount namespace: /dev, /run, /var/lib and /usr/local/bin are
 * tmpfs there, /dev/console and /dev/tty1 plain files, and `blueprint`, `mount`, `umount`,
 * `udevadm` stand-ins.
 */
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision'));
});
afterEach(() => cleanup());

/** Runs the script; `setup` is the stand-in's body for `blueprint` (its argv in "$@"). */
async function provision(setup: string): Promise<{
  rc: number;
  journal: string;
  console: string;
  tty1: string;
  argv: string;
  /** What the script left in /var/lib/blueprint: name, mode (octal), owner uid, then the text. */
  kept: string;
}> {
  const fake = await provisionWork(work, {
    tools: {
      udevadm: 'exit 0',
      // The stick's folder, read-only, where the script mounts it (its last argument).
      mount: stickMount(work),
      umount: '/usr/bin/umount "$1"',
    },
    blueprint: `echo "$@" > ${work}/argv\n${setup}`,
  });
  const dev = await standInDev(work);
  const r = inMountNamespace([
    'set -e',
    ...dev,
    'mount -t tmpfs run /run',
    'mount -t tmpfs lib /var/lib',
    'mkdir -m 0755 /var/lib/blueprint',
    'mount -t tmpfs bin /usr/local/bin',
    `cp ${work}/blueprint /usr/local/bin/blueprint`,
    `rc=0; PATH="${fake}:$PATH" sh ${provisionScript} > ${work}/journal 2>&1 || rc=$?`,
    `cp /dev/console ${work}/console`,
    `cp /dev/tty1 ${work}/tty1`,
    `for f in /var/lib/blueprint/*; do [ -f "$f" ] || continue; stat -c '%n %a %u' "$f"; cat "$f"; done > ${work}/kept`,
    'exit $rc',
  ]);
  const read = workFiles(work);
  return {
    rc: r.status ?? -1,
    journal: await read('journal'),
    console: await read('console'),
    tty1: await read('tty1'),
    argv: await read('argv'),
    kept: await read('kept'),
  };
}

describe.skipIf(!mountNamespaceUsable)('headless provisioning and the recovery key', () => {
  it('runs setup --unattended on the stick’s answers', async () => {
    const r = await provision('exit 0');
    expect(r.rc).toBe(0);
    expect(r.argv.trim()).toBe('setup --unattended --answers /run/blueprint/provision/answers.json');
    expect(r.journal).toMatch(/setting up from answers\.json/);
  });

  /** A stand-in's body printing TEXT on stdout (quoted for sh), then LINE on stderr. */
  const says = (text: string, line: string) => `cat <<'OUT'\n${text}\nOUT\necho '${line}' >&2`;

  it('a key setup could not write to its file is kept root-only on the box, never on a console or in the journal', async () => {
    // setup's own words (src/present), as it prints them when recoveryKeyFile could not be written.
    const out = encryptionOutcomeText({
      mode: 'tpm',
      device: '/dev/vda3',
      recoveryKey: KEY,
      writeError: "EROFS: read-only file system, open '/root/recovery-key.txt'",
    });
    expect(out).toContain(`Recovery key: ${KEY}`);
    const r = await provision(`${says(`${out}\n3 change(s) applied to /.`, 'changed: /etc/hostname')}`);
    expect(r.rc).toBe(0);
    for (const [where, text] of [
      ['journal', r.journal],
      ['serial console', r.console],
      ['screen (tty1)', r.tty1],
    ])
      expect(text, where).not.toContain(KEY);
    // Kept, as the answers asked for, in a file only root can read, on the box.
    expect(r.kept).toMatch(/^\/var\/lib\/blueprint\/provision-output\.txt 600 0\n/);
    expect(r.kept).toContain(`Recovery key: ${KEY}`);
    // The screen and the journal (and with it the serial line: StandardOutput=journal+console)
    // say where it is.
    for (const text of [r.journal, r.tty1])
      expect(text).toMatch(/recovery key .*\/var\/lib\/blueprint\/provision-output\.txt/i);
    // Errors and progress (stderr) are still kept in the journal.
    expect(r.journal).toContain('changed: /etc/hostname');
  });

  it('the screen (tty1) shows the setup starting and its result, as the serial line does', async () => {
    const out = encryptionOutcomeText({
      mode: 'tpm',
      device: '/dev/vda3',
      recoveryKeyFile: '/var/lib/blueprint/recovery-key.txt',
    });
    const r = await provision(says(`${out}\n3 change(s) applied to /.`, 'changed: /etc/hostname'));
    expect(r.rc).toBe(0);
    // The serial line gets the unit's own output (journal+console: here the journal's file) and
    // what the script writes to /dev/console itself.
    for (const text of [r.tty1, r.journal + r.console]) {
      expect(text).toMatch(/setting up from answers\.json on the BLUEPRINT disk/);
      expect(text).toContain('Recovery key written to /var/lib/blueprint/recovery-key.txt');
      expect(text).toContain('3 change(s) applied to /.');
    }
    // setup's stdout stays out of the journal (9044963), key or not.
    expect(r.journal).not.toContain('3 change(s) applied');
    // No key in the output: setup's output is not kept; only the note of where the key is, for
    // later boots' login prompts (provision-recovery-key-note).
    expect(r.kept).not.toContain('provision-output');
    expect(r.kept).toMatch(
      /^\/var\/lib\/blueprint\/recovery-key-where 644 0\n[^\n]*recovery-key\.txt[^\n]*\n$/,
    );
  });

  it("setup's output is written as printable text only to the consoles", async () => {
    const r = await provision(`printf 'odd \\033]0;owned\\007 \\342\\200\\256name\\n'`);
    expect(r.rc).toBe(0);
    expect(r.tty1).toContain('odd ');
    expect(r.tty1).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('setup refusing (exit 2) fails the service, with its message in the journal', async () => {
    const r = await provision(
      'echo "error: encryption.mode tpm without encryption.recoveryKeyFile" >&2; exit 2',
    );
    expect(r.rc).toBe(2);
    expect(r.journal).toMatch(/error: encryption\.mode tpm without encryption\.recoveryKeyFile/);
  });
});
