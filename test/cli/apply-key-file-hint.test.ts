/**
 * `apply -f appliance.yaml` whose repository key file is not there: the hint said "relative to the
 * answers file", the setup wizard's word, to an operator who wrote no answers file (apply reads a
 * description). It names the file the key is relative to: the one given on the command line.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

describe('apply with a key file that is not there', () => {
  it('the hint says relative to which file, by its name', async () => {
    const work = tempDir('bp-apply-keyfile-');
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      [
        'hostname: edge-33',
        'repositories:',
        '  - name: main',
        '    url: https://repo.example.org/bp',
        '    key: keys/main.asc',
        '    fingerprint: "29DC D042 897F BA83 225F  3580 8740 5BD3 06E6 88B5"',
        '',
      ].join('\n'),
    );
    const r = await run(['--root', path.join(work, 'root'), '--json', 'apply', '-f', file, '--dry-run']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { message: string; hint: string } };
    expect(error.message).toContain(
      `repositories.0.key: cannot read key file ${path.join(work, 'keys/main.asc')}`,
    );
    expect(error.hint).not.toContain('answers file');
    expect(error.hint).toContain(`relative to ${file}`);
  });
});
