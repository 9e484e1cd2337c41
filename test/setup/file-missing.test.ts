import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `blueprint apply -f /nope.yaml` said 'Cannot read /nope.yaml: ENOENT' (exit 2, usage) with 'Check
 * the path given with -f/--answers' (setup's flag too); `apply -f -` (kubectl's way to read standard
 * input) said 'Cannot read -: ENOENT'. A missing file is not found (3) in plain words, the hint names
 * the command's own flag, and '-' says it is not read.
 */
describe('apply -f / setup --answers naming a file that is not there', () => {
  const root = tempDir('bp-apply-missing-');
  const nope = path.join(tempDir('bp-apply-missing-'), 'nope.yaml');

  it('apply -f: not found (3), its own flag in the hint', async () => {
    const r = await runCliHere(['--root', root, 'apply', '-f', nope]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${nope} does not exist`);
    expect(r.err).not.toContain('ENOENT');
    expect(r.err).toContain('-f');
    expect(r.err).not.toContain('--answers');
  });

  // `blueprint apply FILE` (the path without -f) was told 'Check the path given with -f.', and
  // apply's help listed no exit 3 for it.
  it('apply FILE: not found (3), a hint for the path as given; the help lists 3', async () => {
    const r = await runCliHere(['--root', root, 'apply', nope]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${nope} does not exist`);
    expect(r.err).not.toContain('given with -f');
    expect(r.err).toMatch(/^hint: Check the path of the description/m);
    const help = await runCliHere(['apply', '--help']);
    expect(help.out).toMatch(/Exit codes:.*3 the file is not there/s);
  });

  it('setup --answers: not found (3), its own flag in the hint', async () => {
    const r = await runCliHere(['--root', root, 'setup', '--answers', nope]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${nope} does not exist`);
    expect(r.err).toContain('--answers');
  });

  it('apply -f -: standard input is not read, said so (2)', async () => {
    const r = await runCliHere(['--root', root, 'apply', '-f', '-']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('standard input');
  });
});
