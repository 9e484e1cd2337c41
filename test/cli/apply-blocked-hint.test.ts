/**
 * `apply -f` refused by its plan (here `system:` on a box without A/B slots) said
 * "hint: Nothing was written, and the data partition was not encrypted." apply never encrypts
 * (only setup's answers ask for it), so to a fleet operator the second half read as a finding
 * about the box. The hint says what was not done only when the answers asked for it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';

describe('apply refused by its plan', () => {
  it('says nothing was written, and nothing of encryption it never asked for', async () => {
    const work = tempDir('bp-apply-blocked-');
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(file, 'hostname: edge-36\nsystem: { version: 2.0.0, from: main }\n');
    const r = await run(['--root', path.join(work, 'root'), '--json', 'apply', '-f', file]);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
    expect(error.code).toBe('blocked');
    expect(error.message).toContain('system:');
    expect(error.hint).toBe('Nothing was written.');
  });
});
