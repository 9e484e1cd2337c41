/**
 * `bpkg upgrade` of a module whose service runs: the container goes on running the old version
 * until the service is started again (kept for rollback, so no removal hook replaces it), and the
 * upgrade said only 'upgraded llm 0.1.0 -> 0.2.0' (the demo walk: `service status` then showed
 * '0.2.0 (running 0.1.0)', and a user believed the new version served). The upgrade now says which
 * running services still run the old version and the command that starts the new one. The real
 * executable and engine; hello renamed, built twice (1.0.0, 1.1.0) into one repository. A rollback
 * says it too, and --json gives them as stillRunning.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, uniqueName } from '../services/helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const name = uniqueName('bpt-upg-run');
let root = '';

afterAll(async () => {
  if (!root) return;
  await run(['--root', root, 'service', 'stop', name], { env });
  await bpkg(root, ['--yes', 'remove', name], env);
});

describe('bpkg upgrade of a running service', () => {
  it.skipIf(!existsSync('/run/podman/podman.sock'))(
    'names the service still running the old version and `service restart NAME`',
    async () => {
      const made = await helloPackageRoot(name, env);
      root = made.root;
      expect((await bpkg(root, ['--yes', 'install', name], env)).code).toBe(0);
      const start = await run(['--root', root, 'service', 'start', name], { env });
      expect(start.code, start.stderr).toBe(0);

      const src = path.join(made.work, 'src');
      const manifest = JSON.parse(await readFile(path.join(src, 'manifest.json'), 'utf8'));
      await writeFile(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, version: '1.1.0' }));
      const key = path.join(made.work, 'key/signing-key.asc');
      const built = await run(['repo', 'build', src, '--repo', path.join(made.work, 'repo'), '--key', key], {
        env,
      });
      expect(built.code, built.stderr).toBe(0);
      expect((await bpkg(root, ['update'], env)).code).toBe(0);

      const up = await bpkg(root, ['--yes', 'upgrade'], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toContain(`upgraded ${name} 1.0.0 -> 1.1.0`);
      expect(up.stdout).toContain(
        `${name} still runs 1.0.0: \`blueprint --root ${root} service restart ${name}\` starts 1.1.0`,
      );
      const json = await run(['--root', root, '--json', 'service', 'status', name], { env });
      expect(JSON.parse(json.stdout)).toMatchObject({ version: '1.1.0', containerVersion: '1.0.0' });

      // QA20: a rollback (the fleet's bad version taken back) said only 'rolled back …' while the
      // service went on running the version rolled back from; --json said nothing of it either.
      expect((await run(['--root', root, 'service', 'restart', name], { env })).code).toBe(0);
      const back = await bpkg(root, ['rollback', name], env);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toContain(
        `${name} still runs 1.1.0: \`blueprint --root ${root} service restart ${name}\` starts 1.0.0`,
      );
      const forward = await bpkg(root, ['--json', 'rollback', name], env);
      expect(JSON.parse(forward.stdout)).toMatchObject({ to: '1.1.0', stillRunning: [] });
      const again = await bpkg(root, ['--json', 'rollback', name], env);
      expect(JSON.parse(again.stdout)).toMatchObject({
        to: '1.0.0',
        stillRunning: [{ name, running: '1.1.0', installed: '1.0.0' }],
      });
    },
    240_000,
  );
});
