/**
 * QA26: `-q, --quiet  Only print errors` (the global options of blueprint --help and bpkg --help),
 * but a warning is printed under -q too, by design: what a script must not miss, such as `bpkg
 * remove` naming a package that was not installed (exit 0, as apt) or an image left in the engine
 * with the command that removes it. The help now says so: errors and warnings.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('-q prints errors and warnings', () => {
  it('as the help says, for blueprint and bpkg', async () => {
    for (const argv0 of ['blueprint', 'bpkg']) {
      const help = await run(['--help'], { argv0 });
      expect(help.stdout).toMatch(/^ {2}-q, --quiet +Only print errors and warnings$/m);
    }
    const root = tempDir('bp-quiet-warn-');
    const r = await run(['--root', root, '-q', 'remove', 'nothere'], { argv0: 'bpkg' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("warning: Package 'nothere' is not installed, so not removed\n");
  });
});
