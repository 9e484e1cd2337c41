/**
 * `bpkg remove --help` says what the removal says of a running service it stopped (5432792d): the
 * line under the package's (present/packages.ts stoppedLine, as printed) and the --json field.
 */
import { describe, expect, it } from 'vitest';
import { stoppedLine } from '../../src/present/packages.js';
import { bpkg, tempDir } from '../helpers/pkg.js';

describe('bpkg remove --help', () => {
  it('names the line said for a stopped service and its --json field', async () => {
    const help = await bpkg(tempDir('bp-root-'), ['remove', '--help']);
    expect(help.code, help.stderr).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    // The line's words up to its name, as the removal prints them (NAME standing for the name).
    expect(text).toContain(`"${stoppedLine('NAME').split(' (')[0]}"`);
    expect(text).toContain('stopped: true');
  });
});
