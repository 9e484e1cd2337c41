import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * The `.asc` beside a local package is as untrusted as the package (issue 11, finding 2's class):
 * it was read whole with readFile, so a FIFO hung the install and a huge file filled memory.
 */
let key: TestKey;
let local: string;
let root: string;
beforeAll(async () => {
  key = await makeKey(path.join(tempDir(), 'key'));
  const base = tempDir();
  const repo = path.join(base, 'repo');
  await buildRepo(repo, key, [makeSource(path.join(base, 'src'), { name: 'tool', version: '1.0.0' })]);
  local = path.join(tempDir(), 'tool_1.0.0_all.bpkg');
  copyFileSync(path.join(repo, 'pool/tool/tool_1.0.0_all.bpkg'), local);
  root = await trustingRoot(key, repo);
});

describe('the signature beside a local .bpkg', () => {
  it('a FIFO in its place is refused at once (no hang)', async () => {
    rmSync(`${local}.asc`, { force: true });
    execFileSync('mkfifo', [`${local}.asc`]);
    await expect(new PackageManager({ root }).install([local])).rejects.toMatchObject({
      code: 'bad-signature',
      message: expect.stringContaining('not a regular file'),
    });
  });

  it('a 1 GiB file in its place is refused by its size, not read', async () => {
    rmSync(`${local}.asc`, { force: true });
    execFileSync('touch', [`${local}.asc`]);
    truncateSync(`${local}.asc`, 1024 ** 3);
    await expect(new PackageManager({ root }).install([local])).rejects.toMatchObject({
      code: 'bad-signature',
      message: expect.stringContaining('1073741824 bytes'),
    });
  });

  it('no .asc at all says what to copy', async () => {
    rmSync(`${local}.asc`, { force: true });
    await expect(new PackageManager({ root }).install([local])).rejects.toMatchObject({
      code: 'no-signature',
    });
  });
});
