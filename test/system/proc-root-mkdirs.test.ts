import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LocalKey } from '../../src/core/pkg/local-key.js';
import { layout } from '../../src/core/system/paths.js';
import { writeSecretFile } from '../../src/core/system/safe-write.js';
import { ensureTokenDir } from '../../src/web/security.js';
import { blueprintExe } from '../helpers/pkg.js';

/**
 * Node's recursive mkdir retries for ever, at 100 % CPU and deaf to SIGTERM, where mkdir answers
 * ENOENT for a parent that exists (/proc, a removed folder): ensureDir (ea2aad4) makes one level at
 * a time and says so. These callers made their folders with mkdir's own recursion still: each
 * must end with ensureDir's storage error (exit 7) instead.
 */
describe('folders made under /proc end with a storage error', () => {
  it('blueprint --root /proc dashboard (it never ended, SIGTERM ignored)', () => {
    const r = spawnSync(blueprintExe, ['--root', '/proc', 'dashboard'], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(r.signal, 'killed after 30 s').toBeNull();
    expect(r.status).toBe(7);
    expect(r.stderr).toContain('/proc cannot hold folders');
    expect(r.stderr).toContain('hint: Give a folder on a writable disk (check --root).');
  }, 40_000);

  it('the dashboard token folder, the recovery key file, the local key', async () => {
    for (const made of [
      () => ensureTokenDir('/proc/bp-no-such/tokens'),
      () => writeSecretFile('/proc/bp-no-such/keys/recovery.key', 'x\n'),
      () => new LocalKey(layout('/proc/bp-no-such')).ensure(),
    ])
      await expect(made()).rejects.toMatchObject({
        code: 'not-writable',
        message: expect.stringContaining('/proc cannot hold folders'),
      });
  }, 20_000);
});
