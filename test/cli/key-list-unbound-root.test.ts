/**
 * `bpkg key list` with a key that signs no repository ends with a line naming the commands that
 * bind one. After `--root DIR` it named them without the --root (`bpkg repo add NAME URL --key
 * FPR`), so pasted they acted on /, as no other hint does. The real executable, as a user runs it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyAddArgs } from '../helpers/key-add.js';
import { makeKey, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('key list after --root', () => {
  it('key list: the binding commands for a key with no repository carry --root', async () => {
    const root = tempDir('bp-keyroot-');
    const key = await makeKey(path.join(tempDir(), 'key'));
    const add = await run(keyAddArgs(root, key));
    expect(add.code, add.stderr).toBe(0);
    const r = await run(['--root', root, 'pkg', 'key', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`\`bpkg --root ${root} repo add NAME URL --key FPR\``);
    expect(r.stdout).toContain(`\`bpkg --root ${root} repo set-key NAME FPR\``);
  });
});
