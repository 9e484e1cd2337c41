import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountNamespaceUsable } from '../helpers/mount-namespace.js';
import { bootOnce, provisionScript, provisionWork, stickMount } from '../helpers/provision-harness.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * A BLUEPRINT stick with answers says: set this box up from these, with nobody at the console.
 * When that headless setup failed (setup refused the answers, a module could not be installed,
 * the stick would not mount) or ran past its 15 minutes, blueprint-setup@tty1 and @ttyS0, only
 * ordered after it, started the console wizard all the same: whoever stood at the keyboard, or
 * reached the serial line through a console server, chose the admin, their SSH key and SSH on,
 * on a box its owner had sent out to be set up from the stick. And the screen said nothing of the
 * failure. Now the provisioning marks the attempt (/run/blueprint/provision-tried, this boot only),
 * and a console whose box was not set up by it shows why and how to try again, and no wizard.
 *
 * The real provision script and the wizard unit's own ExecStart run in a private mount namespace:
 * /dev, /run, /var/lib and /usr/local are tmpfs there (the overlay's /usr/local/lib/blueprint bound in),
 * /dev/console a plain file, and `blueprint`, `mount`, `umount`, `udevadm`, `journalctl`, `sleep`
 * stand-ins. A systemd timeout is SIGTERM to the script's process group, as KillMode= does.
 */
let work: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('provision-console'));
});
afterEach(() => cleanup());

interface Boot {
  /** A BLUEPRINT disk is there (with answers.json unless `answers` is false). */
  stick?: boolean;
  answers?: boolean;
  /** The stand-in's body for `blueprint setup --unattended …` (its argv in "$@"). */
  setup?: string;
  /** Kill the provisioning (SIGTERM to its group) once setup has started, as a timeout does. */
  timeout?: boolean;
}

/** One boot: the provisioning, then the tty1 wizard unit's ExecStart. */
async function boot(o: Boot): Promise<{ calls: string[]; tty: string }> {
  const fake = await provisionWork(work, {
    answers: o.answers,
    tools: {
      udevadm: 'exit 0',
      mount: stickMount(work),
      umount: '/usr/bin/umount "$1"',
      // What the journal kept of the provisioning: setup's errors, one with escape sequences from a
      // hostile answers file, which must not reach the console as they are.
      journalctl: `echo "$@" >>${work}/journalctl-argv
printf 'blueprint-provision: setting up from answers.json on the BLUEPRINT disk\\n'
printf 'error: module "rag" is not installable offline\\033[2J\\033]0;owned\\007 \\342\\200\\256txt\\n'`,
      // The locked console sleeps for good; here it says so and tries Ctrl-C on itself (ignored, it
      // must be: an interrupted screen would give way to the login prompt).
      sleep: `if [ "$1" = infinity ]; then echo "LOCKED" >>${work}/calls; kill -INT $$; echo "still locked after Ctrl-C" >>${work}/calls; fi; exit 0`,
    },
    // The wizard (`blueprint setup` alone) returns at once; only the headless run acts as told.
    blueprint: `echo "blueprint $*" >>${work}/calls\n[ "$2" = --unattended ] || exit 0\n${o.setup ?? 'exit 0'}`,
  });
  const { calls, tty } = await bootOnce(work, fake, {
    stick: o.stick,
    // Its own process group (setsid, not forking: a background child leads no group), killed
    // whole once setup is running.
    provision: o.timeout
      ? `PATH="${fake}:$PATH" setsid sh ${provisionScript} >>${work}/journal 2>&1 & pid=$!; i=0; while [ ! -s ${work}/calls ] && [ $i -lt 100 ]; do /bin/sleep 0.05; i=$((i+1)); done; /usr/bin/kill -TERM -- -$pid; wait $pid`
      : undefined,
  });
  return { calls, tty };
}

const wizardRan = (calls: string[]) => calls.includes('blueprint setup');

describe.skipIf(!mountNamespaceUsable)('the console after a headless setup from a BLUEPRINT disk', () => {
  it('setup refused the answers: no wizard; the console says why and how to try again', async () => {
    const r = await boot({ setup: 'echo "error: answers refused" >&2; exit 2' });
    expect(r.calls[0]).toBe('blueprint setup --unattended --answers /run/blueprint/provision/answers.json');
    expect(wizardRan(r.calls)).toBe(false);
    expect(r.calls).toContain('LOCKED');
    expect(r.calls).toContain('still locked after Ctrl-C');
    expect(r.tty).toMatch(/headless setup from the BLUEPRINT disk did not finish/i);
    expect(r.tty).toMatch(/restart/i);
    // The journal's reason, with what it carried from the answers made harmless.
    expect(r.tty).toContain('error: module "rag" is not installable offline');
    expect(r.tty).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('setup ran past its time (the unit is killed): no wizard', async () => {
    const r = await boot({ setup: '/bin/sleep 30', timeout: true });
    expect(r.calls[0]).toMatch(/^blueprint setup --unattended/);
    expect(wizardRan(r.calls)).toBe(false);
    expect(r.calls).toContain('LOCKED');
  });

  it('setup exited 0 but the box is not set up (no marker): no wizard either', async () => {
    const r = await boot({ setup: 'exit 0' });
    expect(wizardRan(r.calls)).toBe(false);
  });

  it('no BLUEPRINT disk, or one without answers: the wizard runs on the console, as before', async () => {
    const none = await boot({ stick: false });
    expect(none.calls).toEqual(['blueprint setup']);
    await cleanup();
    ({ root: work, cleanup } = await tempRoot('provision-console'));
    const empty = await boot({ answers: false });
    expect(empty.calls).toEqual(['blueprint setup']);
  });
});
