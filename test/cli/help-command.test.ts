/**
 * `blueprint help [COMMAND...]`, as git, podman and ollama take it. It was 'error: Unknown command:
 * help' (exit 2); now it is COMMAND... --help: the same text, exit 0. `bpkg help` too.
 */
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { run } from '../helpers/pkg.js';

describe('the help command', () => {
  it('blueprint help: the program help', async () => {
    const r = await runCliHere(['help']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe((await runCliHere(['--help'])).out);
  });

  // The exit codes said 130 on Ctrl-C for every command but the console, while service watch ends
  // with 0 on Ctrl-C and SIGTERM and service logs -f with 0 on Ctrl-C (README since 21ca8514).
  it('the exit codes name the commands that end with 0 when stopped', async () => {
    const r = await runCliHere(['--help']);
    expect(r.out).toMatch(/130 interrupted \(.*service watch.*logs -f.*0/s);
  });

  it('blueprint help pkg install: that command help', async () => {
    const r = await runCliHere(['help', 'pkg', 'install']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe((await runCliHere(['pkg', 'install', '--help'])).out);
    expect(r.out).toContain('Usage: blueprint pkg install');
  });

  it('blueprint help NOSUCH: the unknown command, exit 2', async () => {
    const r = await runCliHere(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown command: nosuch');
  });

  it('bpkg help: the package manager help (the executable)', async () => {
    const r = await run(['help'], { argv0: 'bpkg' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: bpkg COMMAND');
  });

  // `bpkg help install` is that command's help, and bpkg is `blueprint pkg`; yet `blueprint pkg
  // help install` (and `blueprint service help`) said 'Unknown command: blueprint pkg help', exit 2.
  it("a group's help word: blueprint pkg help install, blueprint service help (the executable)", async () => {
    const one = await run(['pkg', 'help', 'install']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe((await run(['pkg', 'install', '--help'])).stdout);
    const group = await run(['service', 'help']);
    expect(group.code, group.stderr).toBe(0);
    expect(group.stdout).toBe((await run(['service', '--help'])).stdout);
    const bpkg = await run(['help', 'install'], { argv0: 'bpkg' });
    expect(bpkg.stdout).toContain('Usage: bpkg install');
  });
});
