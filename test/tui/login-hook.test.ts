import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loginHook } from '../../src/core/setup/configs.js';

/**
 * The login hook (`/etc/profile.d/blueprint-console.sh`) run by sh with stand-ins for the programs
 * it may start (id, tr, grep, sudo, blueprint) that note each start. On the box every program a
 * login starts before the console costs 10–40 ms of the first paint (issue 20: on a 2-core VM the
 * hook and sudo were 61–78 ms of ~270): it must start `id` and one `sudo`, nothing else.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Login {
  /** Groups `id -Gn` prints. */
  groups: string;
  /** The admin has setup's password-less sudo. */
  sudo: boolean;
  /** The console's exit code. */
  console: number;
  /** The login shell: dash as sh, or bash (an admin's on the box). */
  shell?: 'sh' | 'bash';
}

/** strace(1), to count the processes the hook's own shell starts (not on every host). */
const hasStrace = existsSync('/usr/bin/strace');

function login(o: Login): { ran: string[]; status: number; forks: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bp-login-hook-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'ran');
  execFileSync('mkdir', [bin]);
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  stub('id', `echo "${o.groups}"`);
  stub('tr', 'exec /usr/bin/tr "$@"');
  stub('grep', 'exec /bin/grep "$@"');
  // sudo -n: runs the command as root when the rule is there; says so and fails (1) when not.
  stub(
    'sudo',
    o.sudo
      ? 'for a; do case $a in -*) shift ;; *) break ;; esac; done; SUDO_USER=admin exec "$@"'
      : 'echo "sudo: a password is required" >&2; exit 1',
  );
  stub(
    'blueprint',
    `if [ -n "$SUDO_USER" ]; then echo 'as root'; else echo 'as admin'; fi >> ${log}; exit ${o.console}`,
  );
  writeFileSync(path.join(dir, 'hook.sh'), loginHook());
  // A login shell sourcing the hook, on a terminal (script(1) gives it one), as sshd starts it.
  const shell = `PATH=${bin}:/usr/bin:/bin SSH_TTY=/dev/pts/0 . ${dir}/hook.sh; echo "shell $?" >> ${log}`;
  const trace = path.join(dir, 'trace');
  const strace = hasStrace ? `strace -f -qq -e trace=fork,vfork,clone,clone3 -o ${trace} ` : '';
  let status = 0;
  try {
    execFileSync('script', ['-qec', `${strace}${o.shell ?? 'sh'} -c '${shell}'`, '/dev/null'], {
      stdio: 'ignore',
    });
  } catch (err) {
    status = (err as { status: number }).status;
  }
  // The processes the login's shell made (a program, a pipeline's member, a command substitution).
  const calls = hasStrace ? readFileSync(trace, 'utf8').trim().split('\n') : [];
  const shellPid = calls[0]?.split(' ')[0];
  const forks = calls.filter(
    (l) => l.split(' ')[0] === shellPid && /^\d+ +(v?fork|clone3?)\(/.test(l),
  ).length;
  return { ran: readFileSync(log, 'utf8').trim().split('\n'), status, forks };
}

const SUDO_CONSOLE =
  /^sudo -n --preserve-env=BLUEPRINT_ROOT,BLUEPRINT_NO_CONSOLE \S+\/blueprint tui --login$/;

describe('the SSH login hook', () => {
  it('starts id and one sudo before the console, nothing else; q ends the session', () => {
    const { ran } = login({ groups: 'admin sudo', sudo: true, console: 0 });
    expect(ran).toHaveLength(4);
    expect(ran[0]).toBe('id -Gn');
    expect(ran[1]).toMatch(SUDO_CONSOLE);
    expect(ran.slice(2)).toEqual(['blueprint tui --login', 'as root']);
  });

  it.skipIf(!hasStrace)('its shell makes two processes before the console: id and sudo (no subshell)', () => {
    for (const shell of ['sh', 'bash'] as const) {
      const { ran, forks } = login({ groups: 'admin sudo', sudo: true, console: 0, shell });
      expect(ran.slice(1)).toEqual([expect.stringMatching(SUDO_CONSOLE), 'blueprint tui --login', 'as root']);
      expect(forks).toBe(2);
    }
  });

  it('the shell key (10) goes on into the admin shell', () => {
    const { ran } = login({ groups: 'sudo admin', sudo: true, console: 10 });
    expect(ran.slice(1)).toEqual([
      expect.stringMatching(SUDO_CONSOLE),
      'blueprint tui --login',
      'as root',
      'shell 0',
    ]);
  });

  it('without password-less sudo the console opens as the admin', () => {
    const { ran } = login({ groups: 'admin sudo', sudo: false, console: 0 });
    expect(ran.filter((r) => r.startsWith('blueprint') || r.startsWith('as '))).toEqual([
      'blueprint tui --login',
      'as admin',
    ]);
  });

  it('a root console that failed (1) is not opened again as the admin: the login goes on', () => {
    const { ran } = login({ groups: 'admin sudo', sudo: true, console: 1 });
    expect(ran.filter((r) => r.startsWith('as '))).toEqual(['as root']);
    expect(ran.at(-1)).toBe('shell 0');
  });

  it('no console for an account outside the sudo group (nor one whose group only contains the word)', () => {
    for (const groups of ['admin users', 'admin sudoers nosudo']) {
      const { ran } = login({ groups, sudo: true, console: 0 });
      expect(ran).toEqual(['id -Gn', 'shell 0']);
    }
  });
});
