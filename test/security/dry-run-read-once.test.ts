// vi.mock calls are hoisted above the imports: every module below sees the wrapped fs.
/**
 * A dry run of a package file (`bpkg install --dry-run ./x.bpkg`, PackageManager.plan) reads it
 * once and makes no copy: the signature, the SHA-256 and the manifest all come from that one read
 * (local-read-once.ts). A stick that serves other bytes on its first open than on later ones gets
 * judged on the bytes it served that once: unsigned bytes first are refused, even when every later
 * read would serve the signed package. (read-once.test.ts has the install's side, and the plan of
 * a stick serving the signed bytes first.)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { VerificationError } from '../../src/core/errors.js';
import { whileHostile } from '../helpers/hostile-fs.js';
import { toolOnStick, trustingManager } from '../helpers/hostile-stick.js';
import { makeKey, type TestKey, tempDir } from '../helpers/pkg.js';

vi.mock('node:fs', async (real) => (await import('../helpers/hostile-fs.js')).wrapFs(await real()));
vi.mock('node:fs/promises', async (real) =>
  (await import('../helpers/hostile-fs.js')).wrapFsPromises(await real()),
);

let key: TestKey;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
});

describe('a dry run of a hostile package file', () => {
  it('judges the bytes of its one read: unsigned bytes served first are refused, no copy made', async () => {
    const { file, evil } = await toolOnStick(key, 'good');
    const { root, pm } = await trustingManager(key, { dryRun: true });

    const outcome = await whileHostile(file, evil, () => pm.plan([file]));

    expect(outcome.error).toBeInstanceOf(VerificationError);
    expect((outcome.error as VerificationError).code).toBe('bad-signature');
    expect(outcome.opens, 'the untrusted file must be opened exactly once').toBe(1);
    expect(existsSync(path.join(root, 'var/cache/blueprint/packages'))).toBe(false);

    // The same file, not hostile: planned, from its own (signed) bytes.
    const plan = await pm.plan([file]);
    expect(plan).toEqual([expect.objectContaining({ name: 'tool', to: '1.0.0', repo: 'file', file })]);
  });
});
