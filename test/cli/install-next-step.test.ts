/**
 * `bpkg install` of a module with a service said only 'installed NAME 1.0.0 from main' (QA21's
 * walk): a new user, used to `ollama pull` then `ollama run`, is left to find that a module runs only
 * once `blueprint service start NAME` starts it. It now says so for a module named on the command
 * line and not running (--json: notStarted); not for a package without a service, nor for one that
 * came in as a dependency (the module that uses it starts it). The real executable and Podman.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { helloPackageRoot, uniqueName } from '../services/helpers.js';

const name = uniqueName('bpt-next');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
});

describe('bpkg install says how to start a module it installed', () => {
  it('names service start for a module with a service, not started', async () => {
    root = (await helloPackageRoot(name, env)).root;
    const inst = await bpkg(root, ['--yes', 'install', name], env);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stdout).toContain(
      `${name} is installed, not started: \`blueprint --root ${root} service start ${name}\` starts it`,
    );
    const again = await bpkg(root, ['--json', '--yes', 'install', '--reinstall', name], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ notStarted: [name] });
  });

  it('says nothing of the kind for a package without a service', async () => {
    const { key, repo } = await signedRepo([{ name: 'notes', version: '1.0.0' }]);
    const box = await trustingRoot(key, repo);
    const inst = await bpkg(box, ['--yes', 'install', 'notes'], env);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stdout).toBe('installed notes 1.0.0 from main\n');
    const json = await bpkg(box, ['--json', '--yes', 'install', '--reinstall', 'notes'], env);
    expect(JSON.parse(json.stdout).notStarted).toEqual([]);
  });
});
