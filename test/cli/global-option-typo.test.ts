/**
 * A global option mistyped before the command (`blueprint --rooot /mnt/img status`, `--jsno`,
 * `--verison`) said only 'Run `blueprint --help` to see the global options and commands.', while
 * the same typo after the command (`blueprint version --jsn`) named the option meant. It now names
 * it there too, when one alone is near (the form `--rooot=DIR` too), for blueprint and bpkg.
 */
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { runCliHere } from '../helpers/cli-here.js';

describe('a global option mistyped before the command', () => {
  it.each([
    [['--rooot', '/tmp', 'status'], '--root'],
    [['--rooot=/tmp', 'status'], '--root'],
    [['--jsno', 'status'], '--json'],
    [['--verison'], '--version'],
    [['--no-colour', 'status'], '--no-color'],
  ])('%j names %s', async (argv, meant) => {
    const r = await runCliHere(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: Unknown option: /m);
    expect(r.err).toContain(`hint: Did you mean ${meant}? Run \`blueprint --help\``);
  });

  it('as bpkg too', async () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
      err += String(c);
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['--jsno', 'list'], 'bpkg')).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err).toContain('hint: Did you mean --json?');
  });

  it('one far from every option names none', async () => {
    const r = await runCliHere(['--frobnicate', 'status']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('hint: Run `blueprint --help` to see the global options and commands.');
    expect(r.err).not.toContain('Did you mean');
  });
});
