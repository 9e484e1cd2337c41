/**
 * `bpkg --help` is the first help a package manager's user reads (as `apt --help`), yet it named
 * its commands only: no --root, --json, --yes and no exit codes, which `blueprint --help` alone
 * listed — a script writer with `bpkg` on PATH never saw that 3 is "not found" or that --json
 * exists (found by the QA24 walk). It now ends with the same global options and exit codes; a
 * command's help (`bpkg install --help`) and a group's inside it (`bpkg key --help`) stay short.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';

describe('bpkg --help', () => {
  it('lists the global options and the exit codes, as blueprint --help does', async () => {
    const r = await run(['--help'], { argv0: 'bpkg' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: bpkg COMMAND');
    const top = await run(['--help']);
    const globals = top.stdout.slice(top.stdout.indexOf('Global options'), top.stdout.indexOf('\n\nRun '));
    expect(globals).toContain('--root DIR');
    expect(globals).toContain('Exit codes: 0 ok');
    expect(r.stdout).toContain(globals);
    // After the commands, before the pointer to a command's help.
    expect(r.stdout.indexOf('Global options')).toBeGreaterThan(r.stdout.indexOf('  install'));
    expect(r.stdout.trimEnd().endsWith('for the options of one command.')).toBe(true);
  });

  it("bpkg's help word and --json give the same text", async () => {
    const r = await run(['help'], { argv0: 'bpkg' });
    expect(r.stdout).toContain('Global options');
    const j = await run(['--json', '--help'], { argv0: 'bpkg' });
    expect(JSON.parse(j.stdout).help).toBe(r.stdout);
  });

  it("a command's or a nested group's help stays its own", async () => {
    for (const args of [
      ['install', '--help'],
      ['key', '--help'],
    ]) {
      const r = await run(args, { argv0: 'bpkg' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, args.join(' ')).not.toContain('Global options');
    }
    const pkg = await run(['pkg', '--help']);
    expect(pkg.stdout).not.toContain('Global options');
  });
});
