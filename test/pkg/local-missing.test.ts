import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import {
  buildRepo,
  filesSnapshot,
  makeKey,
  makeSource,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

/**
 * `bpkg install ./NAME.bpkg` naming a file that is not there said the package "has no signature
 * ./NAME.bpkg.asc beside it" (exit 4, a verification refusal, "copy the .asc file"): a mistyped
 * path or an unmounted stick sent the admin after a signature. It is not found (exit 3).
 */
let key: TestKey;
let root: string;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  const base = tempDir();
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'tool', version: '1.0.0' })]);
  root = await trustingRoot(key, repo);
});

describe('a local package file that is not there', () => {
  it('is not found (exit 3), named, and nothing changes under the root', async () => {
    const missing = path.join(tempDir(), 'tool_1.0.0_all.bpkg');
    const before = filesSnapshot(root);
    const err = await new PackageManager({ root }).install([missing]).catch((e) => e);
    expect(err).toMatchObject({
      code: 'not-found',
      exitCode: ExitCode.notFound,
      message: `${missing} not found`,
    });
    expect(err.hint).toMatch(/path/);
    expect(filesSnapshot(root)).toEqual(before);
  });
});
