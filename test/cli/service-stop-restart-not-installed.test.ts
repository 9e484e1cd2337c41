/**
 * `blueprint service stop NAME` and `restart NAME` of a module that is not there say what to do
 * next as start/logs/status do (./service-no-service.test.ts): not installed, `bpkg install NAME`
 * and `blueprint service list`; a typo of an installed service, that one; a package installed
 * without a service, that it has none (not to install it). Exit 3, the README's "not found" (a
 * stop is no removal: nothing stopped is not "nothing to do" when the name is wrong); `--json`
 * the typed error `not-found` on stdout. The real executable.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, run, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('service stop/restart of a module that is not installed', () => {
  it('names the next step, exit 3, --json a not-found error', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['--yes', 'install', 'hello-data'])).code).toBe(0);
    await mkdir(path.join(root, 'var/lib/blueprint/services/hello'), { recursive: true });
    const list = `\`blueprint --root ${root} service list\` shows the installed services`;

    for (const cmd of ['stop', 'restart']) {
      const none = await run(['--root', root, 'service', cmd, 'nosuch']);
      expect(none.code, `${cmd}: ${none.stderr}`).toBe(3);
      expect(none.stderr).toContain('error: No installed module named nosuch has a service');
      expect(none.stderr).toContain(`hint: Install it with \`bpkg --root ${root} install nosuch\`; ${list}.`);
      const json = await run(['--root', root, '--json', 'service', cmd, 'nosuch']);
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout)).toEqual({
        error: {
          code: 'not-found',
          message: 'No installed module named nosuch has a service',
          hint: `Install it with \`bpkg --root ${root} install nosuch\`; ${list}.`,
        },
      });

      const typo = await run(['--root', root, 'service', cmd, 'helo']);
      expect(typo.code, `${cmd}: ${typo.stderr}`).toBe(3);
      expect(typo.stderr).toContain(`hint: Did you mean hello? ${list}.`);

      const noService = await run(['--root', root, 'service', cmd, 'hello-data']);
      expect(noService.code, `${cmd}: ${noService.stderr}`).toBe(3);
      expect(noService.stderr).toContain(
        'error: hello-data is installed, but it is a package without a service',
      );
      expect(noService.stderr).not.toMatch(/install hello-data/);
    }
  });
});
