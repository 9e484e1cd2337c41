import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loginHook } from '../../src/core/setup/configs.js';

/**
 * The login hook (`/etc/profile.d/blueprint-console.sh`) run by sh with stand-ins for the programs
 * it may start (id, tr, grep, sudo, blueprint) that note each start, and a /etc/group of the test's
 * (bound over the host's in a mount namespace of its own: root only). On the box every program a
 * login starts before the console costs 10–40 ms of the first paint (issue 20: on a 2-core VM the
 * hook and sudo were 61–78 ms of ~270): it must start one `sudo`, nothing else.
 */
const runnable = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Login {
  /** The members of the sudo group in /etc/group (the account logging in is `admin`). */
  sudoers: string;
  /** The admin has setup's password-less sudo. */
  sudo: boolean;
  /** The console's exit code. */
  console: number;
  /** The login shell: dash as sh, or bash (an admin's on the box). */
  shell?: 'sh' | 'bash';
  /** /etc/group's whole text, in place of the one made from `sudoers`. */
  group?: string;
  /** Shell options set before the hook runs (`set -eu`: a profile read before it may set them). */
  options?: string;
}

/** strace(1), to count the processes the hook's own shell starts (not on every host). */
const hasStrace = existsSync('/usr/bin/strace');

function login(o: Login): { ran: string[]; status: number; forks: number; leaked: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bp-login-hook-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'ran');
  execFileSync('mkdir', [bin]);
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  stub('id', `echo "admin ${o.sudoers.split(',').includes('admin') ? 'sudo' : ''}"`);
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
  // A login shell sourcing the hook, on a terminal (script(1) gives it one), as sshd starts it, with
  // the test's /etc/group.
  writeFileSync(
    path.join(dir, 'login.sh'),
    `${o.options ? `set ${o.options}\n` : ''}PATH=${bin}:/usr/bin:/bin SSH_TTY=/dev/pts/0 USER=admin\n` +
      `set > ${dir}/before\n. ${dir}/hook.sh\necho "shell $?" >> ${log}\nset > ${dir}/after\n`,
  );
  writeFileSync(
    path.join(dir, 'group'),
    o.group ?? `root:x:0:\nsudoers:x:26:admin\nsudo:x:27:${o.sudoers}\nadmin:x:1000:\n`,
  );
  const trace = path.join(dir, 'trace');
  const strace = hasStrace ? `strace -f -qq -e trace=fork,vfork,clone,clone3 -o ${trace} ` : '';
  const login = `${strace}${o.shell ?? 'sh'} ${dir}/login.sh`;
  let status = 0;
  try {
    execFileSync(
      'unshare',
      ['-m', 'sh', '-c', `mount --bind ${dir}/group /etc/group && exec script -qec '${login}' /dev/null`],
      { stdio: 'ignore' },
    );
  } catch (err) {
    status = (err as { status: number }).status;
  }
  // The processes the login's shell made (a program, a pipeline's member, a command substitution).
  const calls = hasStrace ? readFileSync(trace, 'utf8').trim().split('\n') : [];
  const shellPid = calls[0]?.split(' ')[0];
  const forks = calls.filter(
    (l) => l.split(' ')[0] === shellPid && /^\d+ +(v?fork|clone3?)\(/.test(l),
  ).length;
  // The shell's variables the hook added or changed (read only when the login went on into the
  // shell). bash changes `_` after every command itself, and its BASH_ARGC/ARGV for `.`; dash has
  // `_` as a plain variable.
  const vars = (file: string) =>
    new Map(
      existsSync(file)
        ? [...readFileSync(file, 'utf8').matchAll(/^([A-Za-z_]\w*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!])
        : [],
    );
  const before = vars(path.join(dir, 'before'));
  const leaked = [...vars(path.join(dir, 'after'))]
    .filter(([n, v]) => before.get(n) !== v && !(o.shell === 'bash' && (n === '_' || n.startsWith('BASH_'))))
    .map(([n, v]) => `${n}=${v}`);
  return { ran: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [], status, forks, leaked };
}

const SUDO_CONSOLE =
  /^sudo -n --preserve-env=BLUEPRINT_ROOT,BLUEPRINT_NO_CONSOLE \S+\/blueprint tui --login$/;

describe.skipIf(!runnable)('the SSH login hook', () => {
  it('starts one sudo before the console, nothing else; q ends the session', () => {
    const { ran } = login({ sudoers: 'other,admin', sudo: true, console: 0 });
    expect(ran).toHaveLength(3);
    expect(ran[0]).toMatch(SUDO_CONSOLE);
    expect(ran.slice(1)).toEqual(['blueprint tui --login', 'as root']);
  });

  it.skipIf(!hasStrace)('its shell makes one process before the console: sudo (no id, no subshell)', () => {
    for (const shell of ['sh', 'bash'] as const) {
      const { ran, forks } = login({ sudoers: 'admin', sudo: true, console: 0, shell });
      expect(ran).toEqual([expect.stringMatching(SUDO_CONSOLE), 'blueprint tui --login', 'as root']);
      expect(forks).toBe(1);
    }
  });

  it('the shell key (10) goes on into the admin shell', () => {
    const { ran } = login({ sudoers: 'admin', sudo: true, console: 10 });
    expect(ran).toEqual([expect.stringMatching(SUDO_CONSOLE), 'blueprint tui --login', 'as root', 'shell 0']);
  });

  it('without password-less sudo the console opens as the admin', () => {
    const { ran } = login({ sudoers: 'admin', sudo: false, console: 0 });
    expect(ran.filter((r) => r.startsWith('blueprint') || r.startsWith('as '))).toEqual([
      'blueprint tui --login',
      'as admin',
    ]);
  });

  it('a root console that failed (1) is not opened again as the admin: the login goes on', () => {
    const { ran } = login({ sudoers: 'admin', sudo: true, console: 1 });
    expect(ran.filter((r) => r.startsWith('as '))).toEqual(['as root']);
    expect(ran.at(-1)).toBe('shell 0');
  });

  it('no console for an account outside the sudo group (a longer name, another group holding it)', () => {
    for (const sudoers of ['', 'adminx,xadmin', 'other']) {
      const { ran } = login({ sudoers, sudo: true, console: 0 });
      expect(ran).toEqual(['shell 0']);
    }
  });

  // /etc/group as glibc reads it (id -Gn, which the hook read before b7413b1): a last line without
  // its line break, blanks before a member.
  it('the sudo group read as glibc reads it: a last line without a line break, ", " between members', () => {
    for (const group of [
      'root:x:0:\nsudo:x:27:admin',
      'root:x:0:\nsudo:x:27:other, admin\n',
      'sudo:x:27:other,\tadmin,x\n',
    ])
      for (const shell of ['sh', 'bash'] as const) {
        const { ran } = login({ sudoers: '', group, sudo: true, console: 0, shell });
        expect(ran, `${shell}: ${JSON.stringify(group)}`).toEqual([
          expect.stringMatching(SUDO_CONSOLE),
          'blueprint tui --login',
          'as root',
        ]);
      }
    // Not a member: a blank inside a name, another's name holding it.
    for (const group of ['sudo:x:27:ad min\n', 'sudo:x:27:other admin\n', 'sudo:x:27: xadmin, adminx'])
      expect(login({ sudoers: '', group, sudo: true, console: 0 }).ran).toEqual(['shell 0']);
  });

  it("leaves none of its variables in the admin's shell (sh and bash)", () => {
    for (const shell of ['sh', 'bash'] as const) {
      for (const o of [
        { sudoers: 'admin', sudo: true, console: 10 },
        { sudoers: 'admin', sudo: false, console: 10 },
        { sudoers: 'other', sudo: true, console: 0 },
      ]) {
        const { ran, leaked } = login({ ...o, shell });
        expect(ran.at(-1)).toBe('shell 0');
        expect(leaked, `${shell} ${JSON.stringify(o)}`).toEqual([]);
      }
    }
  });

  it('under set -eu (a profile read before it may set them) the shell key still leads to the shell', () => {
    for (const shell of ['sh', 'bash'] as const) {
      for (const sudo of [true, false]) {
        const { ran } = login({ sudoers: 'admin', sudo, console: 10, shell, options: '-eu' });
        expect(
          ran.filter((r) => r.startsWith('as ') || r.startsWith('shell')),
          `${shell} sudo ${sudo}`,
        ).toEqual([sudo ? 'as root' : 'as admin', 'shell 0']);
      }
    }
  });
});
