import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintModule, scaffoldModule } from '../../src/core/modules/index.js';
import { createServiceHooks } from '../../src/core/services/hooks.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * Issue 11, finding 1 (the same class in the service hook): `service.image.archive` was judged by
 * its text (`within()`), so a payload link leading out of the package made the engine load a file
 * from anywhere on the host. The archive reader refuses such links now; this checks the hook's own
 * judgement, on a prefix laid out by hand, so each layer holds on its own.
 */
describe('the service hook judges service.image.archive on disk', () => {
  const id = `sha256:${'a'.repeat(64)}`;
  const run = (prefix: string, archive: string) =>
    createServiceHooks({ root: tempDir(), socket: path.join(tempDir(), 'no-engine.sock') }).prepare?.(
      {
        name: 'evil',
        version: '1.0.0',
        prefix,
        manifest: { name: 'evil', version: '1.0.0', service: { image: { id, archive } } } as never,
      },
      { yes: false, info: () => {}, warn: () => {} },
    );

  it('refuses an archive reached through a link that leads outside the package', async () => {
    const outside = tempDir();
    writeFileSync(path.join(outside, 'image.tar'), 'not ours');
    const prefix = path.join(tempDir(), 'evil/1.0.0');
    mkdirSync(path.join(prefix, 'payload'), { recursive: true });
    symlinkSync(path.relative(path.join(prefix, 'payload'), outside), path.join(prefix, 'payload/imgs'));
    await expect(run(prefix, 'payload/imgs/image.tar')).rejects.toMatchObject({ code: 'bad-service' });
  });

  it('refuses a chain of links whose text stays inside', async () => {
    const prefix = path.join(tempDir(), 'evil/1.0.0');
    let dir = path.join(prefix, 'payload');
    for (let i = 0; i < 12; i++) dir = path.join(dir, `d${i}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync('../'.repeat(40), path.join(dir, 'up'));
    symlinkSync(`${'d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11'}/up/etc/passwd`, path.join(prefix, 'payload/esc'));
    await expect(run(prefix, 'payload/esc')).rejects.toMatchObject({ code: 'bad-service' });
  });
});

describe('module lint judges `files` on disk', () => {
  it('reports a payload file reached through a link out of payload/, with the right hash', async () => {
    const base = tempDir('bp-lint-link-');
    const dir = path.join(base, 'linky');
    await scaffoldModule('linky', dir);
    const outside = tempDir();
    writeFileSync(path.join(outside, 'secret.txt'), 'host file');
    symlinkSync(outside, path.join(dir, 'payload/out'));
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    m.files = { ...m.files, 'out/secret.txt': createHash('sha256').update('host file').digest('hex') };
    writeFileSync(file, JSON.stringify(m, null, 2));
    const report = await lintModule(dir);
    expect(report.errors).toContainEqual(
      expect.objectContaining({ message: 'payload/out/secret.txt leads outside payload/' }),
    );
  });
});
