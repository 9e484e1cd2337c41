/**
 * A --root that does not exist: the hint suggested `mkdir -p DIR` with DIR unquoted (`--root
 * '/tmp/my box'` gave `mkdir -p /tmp/my box`, which pasted makes /tmp/my and ./box). Now quoted as
 * a shell reads it. The real executable, as a user runs it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('the mkdir hint for a --root that is not there', () => {
  it('a --root with a space that is not there: `mkdir -p` quotes it', async () => {
    const root = path.join(tempDir('bp-quoted-'), 'my box');
    const r = await run(['--root', root, 'pkg', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`\`mkdir -p '${root}'\``);
    expect(existsSync(root)).toBe(false);
  });
});
