/**
 * QA26: `blueprint --json --version` (-V) printed `{"version","node"}` on one line, while `blueprint
 * --json version` prints `{"version","node","arch"}`: the same question, two documents, and a script
 * reading `.arch` got null from the option. Both now print the one document.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';

describe('--json --version and --json version', () => {
  it('print the same document, arch included', async () => {
    const command = await run(['--json', 'version']);
    expect(command.code).toBe(0);
    expect(Object.keys(JSON.parse(command.stdout))).toEqual(['version', 'node', 'arch']);
    for (const args of [
      ['--json', '--version'],
      ['-V', '--json'],
      ['--version', '--json'],
    ]) {
      const option = await run(args);
      expect(option.code).toBe(0);
      expect(option.stdout, args.join(' ')).toBe(command.stdout);
    }
    // As bpkg too.
    expect((await run(['--json', '--version'], { argv0: 'bpkg' })).stdout).toBe(command.stdout);
  });
});
