/**
 * A command killed (SIGKILL, OOM, power cut) between writing a file's new text and renaming it into
 * place (fs.ts writeFileAtomic) left the temporary file beside it for good: `bpkg key add` killed at
 * its first rename left etc/blueprint/keys/.FPR.asc.PID.TIME.tmp, and the same command run again
 * (which wrote the key) left it there. The kill comes from strace at the first rename.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyAddArgs } from '../helpers/key-add.js';
import { bpkg, makeKey, tempDir } from '../helpers/pkg.js';
import { hasStrace, killedAtRename } from '../helpers/power-cut.js';

const temps = (root: string) =>
  (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp'));

describe.skipIf(!hasStrace)('a key add killed at its rename', () => {
  it('leaves no temporary file once it has run again', async () => {
    const work = tempDir('bp-atomic-killed-');
    const key = await makeKey(path.join(work, 'key'));
    const root = path.join(work, 'root');
    mkdirSync(root);
    const args = keyAddArgs(root, key, '--yes');
    killedAtRename(args);
    expect(temps(root)).toEqual([expect.stringMatching(/^etc\/blueprint\/keys\/\..*\.asc\.\d+\.\d+\.tmp$/)]);
    const again = await bpkg(root, args.slice(3));
    expect(again.code, again.stderr).toBe(0);
    expect(temps(root)).toEqual([]);
  }, 120_000);
});
