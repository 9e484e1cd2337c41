/**
 * QA26: a root given by BLUEPRINT_ROOT (`--help`: "--root DIR … env BLUEPRINT_ROOT"), as a fleet
 * script or an Ansible task's `environment:` sets it, was named as if typed: 'error: --root
 * /srv/box does not exist' and 'hint: Check --root for a typo', on a command line with no --root
 * at all; so were the one that is a file and the new box's note. Each now names what gave it,
 * `BLUEPRINT_ROOT=DIR`; a typed --root is named as before (missing-root, usage-errors).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('a root from BLUEPRINT_ROOT is named as that', () => {
  it('not there: not found (exit 3), the variable named in the message and the hint', async () => {
    const root = path.join(tempDir('bp-envroot-'), 'typo');
    const r = await run(['--json', 'status'], { env: { BLUEPRINT_ROOT: root } });
    expect(r.code, r.stderr).toBe(3);
    const { error } = JSON.parse(r.stdout);
    expect(error.message).toBe(`BLUEPRINT_ROOT=${root} does not exist`);
    expect(error.hint).toMatch(/^Check BLUEPRINT_ROOT for a typo/);
    expect(r.stderr).not.toContain('--root');
  });

  it('a file: bad usage (exit 2), the variable named', async () => {
    const file = path.join(tempDir('bp-envroot-'), 'file');
    writeFileSync(file, '');
    const r = await run(['pkg', 'list'], { env: { BLUEPRINT_ROOT: file } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: BLUEPRINT_ROOT=${file} is not a directory`);
    expect(r.stderr).toContain('unset BLUEPRINT_ROOT');
  });

  it('a new box made there: its note names the variable', async () => {
    const dir = tempDir('bp-envroot-');
    const root = path.join(dir, 'new');
    const file = path.join(dir, 'appliance.yaml');
    writeFileSync(file, 'hostname: box-01\n');
    const r = await run(['--json', 'apply', '-f', file], { env: { BLUEPRINT_ROOT: root } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: BLUEPRINT_ROOT=${root} did not exist: a new box was made there`);
  });
});
