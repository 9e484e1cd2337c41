/**
 * A global on/off option given a value (`--json=true`, `--quiet=1`, as some tools take them) was
 * refused with a message that contradicts itself: 'Unknown option --json for blueprint pkg list',
 * 'hint: Did you mean --json?'. Now it says the option takes no value, as a command's own on/off
 * option already did ('-s, --dry-run' does not take an argument). Exit 2 either way.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('a global on/off option with a value', () => {
  it.each([
    [['pkg', 'list', '--json=true'], '--json'],
    [['--json=1', 'pkg', 'list'], '--json'],
    [['pkg', 'list', '--quiet=1'], '--quiet'],
    [['--yes=no', 'pkg', 'list'], '--yes'],
  ])('%j: says %s takes no value (exit 2)', async (args, option) => {
    const r = await run(['--root', tempDir('bp-flagval-'), ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${option} takes no value`);
    expect(r.stderr).not.toContain(`Did you mean ${option}?`);
  });
});
