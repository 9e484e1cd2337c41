import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptionOutcomeText } from '../../src/present/encryption.js';
import { mountNamespaceUsable, standInDev } from '../helpers/mount-namespace.js';
import {
  imageMounts,
  inMountNamespace,
  overlay,
  provisionScript,
  provisionWork,
  stickMount,
  unitExecStart,
  workFiles,
} from '../helpers/provision-harness.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * After a headless setup that encrypted the data partition, where its recovery key was kept (the
 * answers' recoveryKeyFile, provision-output.txt when that could not be written, the BLUEPRINT
 * stick's recovery-keys folder) was said once, on the consoles of that boot and in the journal.
 * An encrypting box restarts seconds later; the getty clears the screen: nothing the box showed
 * afterwards said where the key was, and a key nobody moves off the box is locked behind the lock
 * it opens the day the TPM refuses. Now the provisioning leaves a note (never the key) in
 * /var/lib/blueprint/recovery-key-where, and blueprint-recovery-key-note.service turns it at each
 * boot, before the login prompts, into /run/issue.d/50-blueprint-recovery-key.issue, which agetty
 * shows above every login prompt (serial line, tty2) until the admin deletes the note. /etc is on
 * the A/B image's read-only slot, and /run is empty again at each boot: hence the unit.
 *
 * The real script, then (a later boot: /run a fresh tmpfs) the unit's own ExecStart, run in a
 * private mount namespace with stand-ins, as in provision-recovery-key.
 */
const unitFile = path.join(overlay, 'etc/systemd/system/blueprint-recovery-key-note.service');
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';
const NOTE = '/var/lib/blueprint/recovery-key-where';
const ISSUE = '/run/issue.d/50-blueprint-recovery-key.issue';

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-note'));
});
afterEach(() => cleanup());

/** Setup's stand-in prints TEXT; with `keyFile`, it also writes the key there (0600). */
async function boots(text: string, keyFile?: string) {
  await writeFile(path.join(work, 'out'), `${text}\n`);
  const write = keyFile ? `(umask 077; echo '${KEY}' > '${keyFile}')\n` : '';
  const fake = await provisionWork(work, {
    tools: { udevadm: 'exit 0', mount: stickMount(work), umount: '/usr/bin/umount "$1"' },
    blueprint: `${write}cat ${work}/out`,
  });
  const dev = await standInDev(work);
  const execStart = (await unitExecStart('blueprint-recovery-key-note.service')) || 'false';
  const r = inMountNamespace([
    'set -e',
    ...dev,
    ...imageMounts(work),
    'mkdir -m 0755 /var/lib/blueprint',
    `PATH="${fake}:$PATH" sh ${provisionScript} > ${work}/journal 2>&1`,
    `cat ${NOTE} > ${work}/note 2>/dev/null || :`,
    `stat -c %a ${NOTE} > ${work}/note-mode 2>/dev/null || :`,
    // The restart: /run is empty again, /var/lib kept.
    'umount /run',
    'mount -t tmpfs run /run',
    `${execStart} > ${work}/unit-out 2>&1 || echo "unit failed $?" >> ${work}/unit-out`,
    `cat ${ISSUE} > ${work}/issue 2>/dev/null || :`,
    `rm -f ${NOTE}`,
    // The admin deleted the note: the next boot says nothing.
    'umount /run',
    'mount -t tmpfs run /run',
    `${execStart} >> ${work}/unit-out 2>&1 || echo "unit failed $?" >> ${work}/unit-out`,
    `[ ! -e ${ISSUE} ] || echo present > ${work}/issue-after-delete`,
  ]);
  expect(r.status, r.stderr).toBe(0);
  const read = workFiles(work);
  return {
    journal: await read('journal'),
    note: await read('note'),
    noteMode: (await read('note-mode')).trim(),
    issue: await read('issue'),
    unitOut: await read('unit-out'),
    afterDelete: await read('issue-after-delete'),
  };
}

const encrypted = (o: { recoveryKeyFile?: string; writeError?: string }) =>
  encryptionOutcomeText({ mode: 'tpm', device: '/dev/vda3', recoveryKey: KEY, ...o });

describe.skipIf(!mountNamespaceUsable)('where the recovery key was kept, at later boots', () => {
  it('the key written to recoveryKeyFile: the login prompts name that file at the next boot', async () => {
    const file = '/var/lib/blueprint/recovery-key.txt';
    const r = await boots(encrypted({ recoveryKeyFile: file }), file);
    expect(r.note).toContain(file);
    expect(r.note).not.toContain(KEY);
    expect(r.noteMode).toBe('644');
    expect(r.unitOut).toBe('');
    expect(r.issue).toMatch(/recovery key .*\/var\/lib\/blueprint\/recovery-key\.txt/i);
    expect(r.issue).toContain(NOTE); // how to make it go away
    expect(r.issue).not.toContain(KEY);
    expect(r.afterDelete).toBe('');
  });

  it('the key kept in provision-output.txt (its file could not be written): that file, never the key', async () => {
    const r = await boots(encrypted({ writeError: 'EROFS: read-only file system' }));
    expect(r.note).toContain('/var/lib/blueprint/provision-output.txt');
    for (const text of [r.note, r.issue, r.journal]) expect(text).not.toContain(KEY);
    expect(r.issue).toMatch(/recovery key .*\/var\/lib\/blueprint\/provision-output\.txt/i);
  });

  it('no key made (nothing encrypted): no note, no line at the login prompts', async () => {
    const r = await boots('Data partition: left unencrypted, as the answers say.');
    expect(r.note).toBe('');
    expect(r.issue).toBe('');
    expect(r.unitOut).toBe('');
  });

  it('what reaches the login prompt is printable ASCII, with no agetty escapes (\\)', async () => {
    // A recoveryKeyFile from the answers, as setup prints it (escapeLine), and one a future setup
    // might print raw: neither may bring a terminal escape or an agetty \-sequence to the prompt.
    const file = '/var/lib/blueprint/k\u001b[2J\\S{ANSI_COLOR}\u202e.txt';
    const r = await boots(
      `Data partition /dev/vda3 encrypted (LUKS2), unlocked by the TPM.\nRecovery key written to ${file} (root only): move it off the box.`,
    );
    expect(r.issue).toMatch(/recovery key/i);
    expect(r.issue).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\uffff\\]/);
  });
});

describe('the note unit', () => {
  it('runs at every boot before the login prompts, only while the note is there, and is enabled', async () => {
    const unit = await readFile(unitFile, 'utf8');
    expect(unit).toMatch(/^ConditionPathExists=\/var\/lib\/blueprint\/recovery-key-where$/m);
    expect(unit).toMatch(/^Before=.*systemd-user-sessions\.service/m);
    expect(unit).toMatch(/^After=.*local-fs\.target/m);
    const configure = await readFile(new URL('../../image/configure.sh', import.meta.url), 'utf8');
    expect(configure).toMatch(/systemctl enable[^\n]*(\\\n[^\n]*)*blueprint-recovery-key-note\.service/);
  });
});
