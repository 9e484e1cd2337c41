/**
 * `blueprint apply` (and setup, which writes the same way: safe-write.ts writeFileAt) killed
 * (SIGKILL, OOM, power cut) between writing a file's new text and renaming it into place left the
 * temporary file (`etc/.hostname.HEX.tmp`) beside it for good: the next apply finished the change
 * but never removed it, one more at every kill, in /etc, a home's ~/.ssh, a module's data folder
 * (a token). The kill comes from strace at the first rename, etc/hostname's.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { hasStrace, killedAtRename } from '../helpers/power-cut.js';

const temps = (root: string) =>
  (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp'));

describe.skipIf(!hasStrace)('an apply killed at a rename', () => {
  it('leaves no temporary file once it has run again', async () => {
    const work = tempDir('bp-apply-killed-');
    const file = path.join(work, 'box.yaml');
    writeFileSync(file, 'hostname: box-01\ntimezone: UTC\n');
    const root = path.join(work, 'root');
    killedAtRename(['--root', root, 'apply', '-f', file, '--yes']);
    expect(temps(root)).toEqual([expect.stringMatching(/^etc\/\.hostname\.[0-9a-f-]+\.tmp$/)]);
    const again = await run(['--root', root, 'apply', '-f', file, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(temps(root)).toEqual([]);
  }, 120_000);
});
