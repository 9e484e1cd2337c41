import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptionOutcomeText } from '../../src/present/encryption.js';
import { mountNamespaceUsable, standInDev } from '../helpers/mount-namespace.js';
import { inMountNamespace, provisionScript, provisionWork, workFiles } from '../helpers/provision-harness.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * A headless setup keeps the recovery key in its recoveryKeyFile (or, when that could not be
 * written, in /var/lib/blueprint/provision-output.txt): on the A/B image both lie on the encrypted
 * data partition itself, no help the day the TPM refuses. What BitLocker offers ("save to a USB
 * flash drive") is asked for with a folder named recovery-keys on the BLUEPRINT disk: the key is
 * written there too, onto the stick that leaves with whoever set the box up. The stick is
 * untrusted input (an ext4 one can hold links and FIFOs): the folder must be a real folder on it,
 * the file a fresh name created with O_EXCL|O_NOFOLLOW (a link, FIFO or file already there is
 * left alone), written and synced, the disk unmounted. Whether the disk can take it (not
 * write-protected, not full) is known before setup runs, so nothing is encrypted on the promise
 * of a copy that cannot be made. The key never reaches the journal or a console.
 *
 * The real script runs in a private mount namespace, as in provision-recovery-key.test.ts: /dev,
 * /run, /var/lib and /usr/local/bin are tmpfs, /etc/machine-id a fixed one, the stick a folder
 * (or a small tmpfs, for a full one) bound read-only where the script mounts it; `mount` is a
 * stand-in that binds it, and makes it writable for `-o remount,rw...` unless the stick is
 * write-protected.
 */
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';
const MACHINE_ID = '0123456789abcdef0123456789abcdef';
const NAME = 'recovery-key-0123456789ab.txt';
const BOX_FILE = '/var/lib/blueprint/recovery-key.txt';

let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-key-disk'));
});
afterEach(() => cleanup());

interface Run {
  rc: number;
  journal: string;
  console: string;
  tty1: string;
  /** Whether the stand-in setup ran at all. */
  ran: boolean;
  /** Its arguments. */
  argv: string;
  /** The stick's recovery-keys folder as setup found it: `ls -l`, mode, then what each file says. */
  atSetup: string;
  /** Every file left in the stick's recovery-keys folder: `NAME TYPE MODE`, then its text. */
  stick: string;
  /** The box file a link on the stick pointed at. */
  victim: string;
  /** provision-from-disk's note of where the key was kept (provision-recovery-key-note). */
  note: string;
  /** `still mounted` when the script left the stick mounted. */
  mounted: string;
  /** `locked` while the provisioning's mark stays: the consoles show why, not the wizard. */
  locked: string;
}

/**
 * Runs the script with `setup` as `blueprint`'s body; `prepare` runs in the namespace first, in
 * the stick's folder (mkdir recovery-keys, a link, a fill...). `protect`: remounting rw fails.
 */
async function provision(setup: string, prepare: string, opts: { protect?: boolean; small?: boolean } = {}) {
  const stick = path.join(work, 'stick');
  await writeFile(path.join(work, 'machine-id'), `${MACHINE_ID}\n`);
  const record = `echo "$@" >${work}/ran; (ls -l /run/blueprint/provision/recovery-keys; touch /run/blueprint/provision/probe 2>/dev/null && echo writable && rm /run/blueprint/provision/probe; for f in /run/blueprint/provision/recovery-keys/*; do [ -f "$f" ] && [ ! -L "$f" ] && cat "$f"; done) >${work}/atsetup 2>&1`;
  // The stick's answers.json is made in the namespace, beside what `prepare` puts there.
  const fake = await provisionWork(work, {
    answers: false,
    tools: {
      udevadm: 'exit 0',
      mount: [
        'for dest; do :; done # the last argument',
        'case "$*" in',
        `  *remount*) echo "$*" >>${work}/remounts; ${opts.protect ? 'echo "mount: write-protected" >&2; exit 32' : '/usr/bin/mount -o remount,bind,rw "$dest"'} ;;`,
        `  *) /usr/bin/mount --bind -o ro "${stick}" "$dest" ;;`,
        'esac',
      ].join('\n'),
      umount: '/usr/bin/umount "$1"',
    },
    blueprint: `${record}\n${setup}`,
  });
  const dev = await standInDev(work);
  const r = inMountNamespace(
    [
      'set -e',
      ...(opts.small ? [`mount -t tmpfs -o size=16k stick ${stick}`] : []),
      `(cd ${stick} && echo '{"hostname":"box"}' > answers.json && ${prepare})`,
      // The stick is made above while /dev is still the host's; then the stand-ins.
      ...dev,
      `mount --bind ${work}/machine-id /etc/machine-id`,
      'mount -t tmpfs run /run',
      'mount -t tmpfs lib /var/lib',
      'mkdir -m 0755 /var/lib/blueprint',
      'echo "box file" > /var/lib/victim',
      'mount -t tmpfs bin /usr/local/bin',
      `cp ${work}/blueprint /usr/local/bin/blueprint`,
      `rc=0; PATH="${fake}:$PATH" timeout 20 sh ${provisionScript} > ${work}/journal 2>&1 || rc=$?`,
      `cp /dev/console ${work}/console`,
      `cp /dev/tty1 ${work}/tty1`,
      `cp /var/lib/victim ${work}/victim`,
      `cat /var/lib/blueprint/recovery-key-where > ${work}/note 2>/dev/null || :`,
      `if mountpoint -q /run/blueprint/provision; then echo "still mounted"; fi > ${work}/mounted`,
      `if [ -e /run/blueprint/provision-tried ]; then echo locked; fi > ${work}/locked`,
      `for f in ${stick}/recovery-keys/*; do [ -e "$f" ] || [ -L "$f" ] || continue; printf '%s %s\\n' "\${f##*/}" "$(stat -c '%F %a' "$f")"; [ -f "$f" ] && [ ! -L "$f" ] && cat "$f"; done > ${work}/onstick || true`,
      'exit $rc',
    ],
    40_000,
  );
  const read = workFiles(work);
  return {
    rc: r.status ?? -1,
    journal: (await read('journal')) + r.stderr,
    console: await read('console'),
    tty1: await read('tty1'),
    ran: await readFile(path.join(work, 'ran')).then(
      () => true,
      () => false,
    ),
    argv: await read('ran'),
    atSetup: await read('atsetup'),
    stick: await read('onstick'),
    victim: await read('victim'),
    note: await read('note'),
    mounted: await read('mounted'),
    locked: await read('locked'),
  } satisfies Run;
}

/** setup's stand-in: writes the key to the box's recoveryKeyFile and says so, as setup does. */
const writesBoxFile = [
  `(umask 077; printf '%s\\n' '${KEY}' > ${BOX_FILE})`,
  'cat <<OUT',
  encryptionOutcomeText({ mode: 'tpm', device: '/dev/vda3', recoveryKeyFile: BOX_FILE }),
  '3 change(s) applied to /.',
  'OUT',
].join('\n');

const noWhere = (r: Run) => {
  for (const [where, text] of [
    ['journal', r.journal],
    ['serial console', r.console],
    ['screen (tty1)', r.tty1],
  ])
    expect(text, where).not.toContain(KEY);
};

describe.skipIf(!mountNamespaceUsable)(
  'headless provisioning: the recovery key onto the BLUEPRINT disk',
  () => {
    it('a recovery-keys folder on the stick gets the key in a fresh file, reserved before setup ran; the consoles name it', async () => {
      const r = await provision(writesBoxFile, 'mkdir recovery-keys');
      expect(r.rc).toBe(0);
      // Still on the stick's answers.
      expect(r.argv.trim()).toBe('setup --unattended --answers /run/blueprint/provision/answers.json');
      // Reserved (written and synced) before setup, on a stick made writable for it.
      expect(r.atSetup).toContain(NAME);
      expect(r.atSetup).toContain('writable');
      expect(r.atSetup).not.toContain(KEY);
      // The key, its own line first, and nothing else secret.
      // Root's only, on whichever machine the stick is read next.
      expect(r.stick.split('\n')[0]).toBe(`${NAME} regular file 600`);
      expect(r.stick.split('\n')[1]).toBe(KEY);
      expect(r.stick).toMatch(/^BlueprintOS .*recovery key.*machine-id 0123456789ab/m);
      noWhere(r);
      for (const text of [r.tty1, r.journal])
        expect(text).toContain(
          `the recovery key was written to the disk BLUEPRINT as recovery-keys/${NAME}: keep it safe, off the box`,
        );
      expect(r.mounted).toBe('');
      // Later boots' login prompts say both places (never the key).
      expect(r.note).toMatch(/kept in \S+ and on the disk BLUEPRINT as recovery-keys\//);
      expect(r.note).toContain(`recovery-keys/${NAME}`);
      expect(r.note).not.toContain(KEY);
    });

    it('a key setup could only print (its file not written) goes onto the stick too', async () => {
      const out = encryptionOutcomeText({
        mode: 'tpm',
        device: '/dev/vda3',
        recoveryKey: KEY,
        writeError: "EROFS: read-only file system, open '/root/recovery-key.txt'",
      });
      const r = await provision(`cat <<'OUT'\n${out}\nOUT`, 'mkdir recovery-keys');
      expect(r.rc).toBe(0);
      expect(r.stick.split('\n')[1]).toBe(KEY);
      noWhere(r);
      // Still kept on the box, as before.
      expect(r.journal).toMatch(/kept in \/var\/lib\/blueprint\/provision-output\.txt/);
    });

    it('a link, a FIFO and a file already at the names are left alone: the next fresh name is used', async () => {
      const r = await provision(
        writesBoxFile,
        `mkdir recovery-keys && ln -s /var/lib/victim recovery-keys/${NAME} && mkfifo recovery-keys/recovery-key-0123456789ab.1.txt && echo theirs > recovery-keys/recovery-key-0123456789ab.2.txt`,
      );
      expect(r.rc).toBe(0);
      expect(r.victim).toBe('box file\n');
      expect(r.stick).toContain(`${NAME} symbolic link`);
      expect(r.stick).toContain('recovery-key-0123456789ab.1.txt fifo');
      expect(r.stick).toMatch(/recovery-key-0123456789ab\.2\.txt regular file 644\ntheirs\n/);
      expect(r.stick).toMatch(new RegExp(`recovery-key-0123456789ab\\.3\\.txt regular file 600\\n${KEY}\\n`));
      expect(r.tty1).toContain('as recovery-keys/recovery-key-0123456789ab.3.txt: keep it safe');
    });

    for (const acl of ['u:1000:rw,o::r', 'o::r'])
      it(`a recovery-keys whose default ACL (${acl}) lets others read new files is refused before setup runs`, async () => {
        // umask 077 does not apply under a default ACL: the key file would be 0664 with user 1000
        // rw (or 0644), readable by users of the next machine the stick is put in.
        const r = await provision(writesBoxFile, `mkdir recovery-keys && setfacl -d -m ${acl} recovery-keys`);
        expect(r.ran).toBe(false);
        expect(r.rc).not.toBe(0);
        expect(r.stick).toBe('');
        expect(r.locked).toBe('locked\n');
        for (const text of [r.tty1, r.journal])
          expect(text).toMatch(
            /recovery-keys folder on the BLUEPRINT disk would let others read the key.*nothing was set up/,
          );
      });

    it('an ACL that gives nobody else anything (named user ---) is no reason to refuse', async () => {
      const r = await provision(
        writesBoxFile,
        'mkdir recovery-keys && setfacl -d -m u::rw,g::-,o::-,u:1000:- recovery-keys',
      );
      expect(r.rc).toBe(0);
      expect(r.stick.split('\n')[1]).toBe(KEY);
    });

    it('a recovery-keys that is a link (to a folder of the box) is refused before setup runs', async () => {
      const r = await provision(writesBoxFile, 'ln -s /var/lib recovery-keys');
      expect(r.ran).toBe(false);
      expect(r.rc).not.toBe(0);
      expect(r.victim).toBe('box file\n');
      for (const text of [r.tty1, r.journal])
        expect(text).toMatch(/recovery-keys on the BLUEPRINT disk is not a folder.*nothing was set up/);
    });

    it('a write-protected stick is refused before setup runs (nothing encrypted), the console kept locked', async () => {
      const r = await provision(writesBoxFile, 'mkdir recovery-keys', { protect: true });
      expect(r.ran).toBe(false);
      expect(r.rc).not.toBe(0);
      for (const text of [r.tty1, r.journal])
        expect(text).toMatch(/the BLUEPRINT disk cannot be written.*nothing was set up/);
      expect(r.mounted).toBe('');
      expect(r.locked).toBe('locked\n');
    });

    it('a full stick is refused before setup runs, and no file is left on it', async () => {
      const r = await provision(
        writesBoxFile,
        'mkdir recovery-keys && (dd if=/dev/zero of=fill bs=4k 2>/dev/null || true)',
        { small: true },
      );
      expect(r.ran).toBe(false);
      expect(r.rc).not.toBe(0);
      expect(r.stick).toBe('');
      for (const text of [r.tty1, r.journal])
        expect(text).toMatch(/no room for the recovery key on the BLUEPRINT disk.*nothing was set up/);
    });

    it('a stick that cannot take the key after setup (gone read-only) leaves it on the box, and the consoles say so', async () => {
      const r = await provision(
        `${writesBoxFile}\n/usr/bin/mount -o remount,bind,ro /run/blueprint/provision`,
        'mkdir recovery-keys',
      );
      expect(r.rc).toBe(0);
      expect(r.stick).not.toContain(KEY);
      noWhere(r);
      for (const text of [r.tty1, r.journal])
        expect(text).toMatch(
          /recovery key could NOT be written to the disk BLUEPRINT: it is only on the box/,
        );
      expect(r.tty1).not.toContain('keep it safe, off the box');
    });

    it('setup refusing leaves no file on the stick', async () => {
      const r = await provision('echo "error: bad answers" >&2; exit 2', 'mkdir recovery-keys');
      expect(r.ran).toBe(true);
      expect(r.rc).toBe(2);
      expect(r.stick).toBe('');
    });

    it('without a recovery-keys folder the stick stays read-only and nothing is written to it', async () => {
      const r = await provision(writesBoxFile, 'true');
      expect(r.rc).toBe(0);
      expect(r.atSetup).not.toContain('writable');
      expect(await readFile(path.join(work, 'remounts'), 'utf8').catch(() => '')).toBe('');
      expect(r.tty1).not.toContain('disk BLUEPRINT as');
    });
  },
);
