/**
 * Re-activating the kept previous version (`bpkg install NAME@PREVIOUS` after an upgrade: stage()'s
 * `previous` branch) skipped the package hooks, as `install --reinstall` did before f63d81e: a
 * module's image gone from the engine stayed gone and its registration was not written again. And
 * the service registry picked the highest registered version whose files are on disk, not the one
 * installed: with both versions kept, the service went on being the newer one after the downgrade
 * (and after `bpkg rollback`). The prepare hook now runs for the re-activated version (by install
 * or by rollback), and the registry takes the installed version (the package's `current` link) first.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRegistration, writeRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { GOOD, preparedGood, publishSources, tempDir } from '../helpers/pkg.js';

describe('re-activating the kept previous version', () => {
  it('runs the prepare hook for it', async () => {
    const { key, repo, pm, prepared } = await preparedGood(
      (pkg) => `${pkg.name} ${pkg.version} ${pkg.manifest.version}`,
    );
    await publishSources(repo, key, [{ ...GOOD, version: '1.1.0' }]);
    await pm.update();
    await pm.upgrade();
    expect(prepared).toEqual(['good 1.0.0 1.0.0', 'good 1.1.0 1.1.0']);
    await pm.install(['good@1.0.0']);
    expect((await pm.installed()).find((p) => p.name === 'good')).toMatchObject({
      version: '1.0.0',
      previous: '1.1.0',
    });
    expect(prepared).toEqual(['good 1.0.0 1.0.0', 'good 1.1.0 1.1.0', 'good 1.0.0 1.0.0']);
    // bpkg rollback likewise: the version it makes current is prepared again.
    await pm.rollback('good');
    expect(prepared.at(-1)).toBe('good 1.1.0 1.1.0');
  });
});

describe('the registry with two versions kept', () => {
  it('takes the installed one (current), not the highest', async () => {
    const root = tempDir('bp-reg-current-');
    const opt = path.join(root, 'opt/blueprint/svc');
    const spec = parseService({
      image: { id: `sha256:${'a'.repeat(64)}` },
      network: 'loopback-socket',
      socket: { dir: '/run/svc', file: 's' },
    });
    for (const version of ['1.0.0', '1.1.0']) {
      mkdirSync(path.join(opt, version), { recursive: true });
      await writeRegistration(root, {
        name: 'svc',
        version,
        prefix: path.join(opt, version),
        spec,
        approvals: { outboundNetwork: false },
        imageId: spec.image.id,
        uses: [],
      });
    }
    // No link (a registration written by hand, an older box): the highest, as before.
    expect((await findRegistration(root, 'svc'))?.version).toBe('1.1.0');
    symlinkSync('1.0.0', path.join(opt, 'current'));
    expect((await findRegistration(root, 'svc'))?.version).toBe('1.0.0');
  });
});
