/**
 * A `string` setting's pattern is the package's (its signed manifest), the value the admin's: a
 * pattern that backtracks for ever on a value it does not match (`(a+)+` on a run of a's and a !)
 * held root's `blueprint service config` (and every start, inspect and the dashboard, which judge
 * the stored value again) in one regular-expression match for good. Now a match is bounded: the
 * value is refused, naming why, and nothing is written. Through the built executable, which is
 * killed if it does not answer (a hang is the failure this test shows).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { blueprintExe } from '../helpers/pkg.js';

const NAME = 'names';

const config = (root: string, ...args: string[]) =>
  spawnSync(blueprintExe, ['--root', root, 'service', 'config', NAME, ...args], {
    env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });

describe("a setting's pattern that backtracks", () => {
  it('refuses the value it cannot judge promptly, writing nothing, and takes one it matches', async () => {
    const root = tokenRoot('bp-setting-pattern-');
    await register(
      root,
      NAME,
      parseService({
        image,
        settings: {
          LABEL: { type: 'string', pattern: '(a+)+', maxLength: 4096, description: 'A label of a’s' },
        },
      }),
    );
    const r = config(root, `LABEL=${'a'.repeat(64)}!`);
    expect(r.signal, 'blueprint service config hung in the pattern').toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LABEL must be text matching (a+)+');
    expect(r.stderr).toContain('took too long');
    const file = path.join(root, 'etc/blueprint/settings', `${NAME}.json`);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    const ok = config(root, 'LABEL=aaaa');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ LABEL: 'aaaa' });
  }, 150_000);
});
