/**
 * apply changing a running module's `resources:` said "Its system files take effect at the next
 * boot of that root" (and on / nothing): untrue, the service runs with its old limits until it is
 * restarted (`service inspect` shows the old figure running), and --json had nothing for a handler.
 * Now each such service is named with the command that restarts it (with the typed --root), and the
 * document lists them (`restartNeeded`). A service apply starts itself runs with the new files.
 * --dry-run names them too (`restartNeeded`, Ansible's check mode).
 * Also: an apply that fails while planning (the engine down) has `changed: []` in its --json error,
 * as docs/fleet.md says. The hello module, signed into a repository, on the real Podman.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, uniqueName } from '../services/helpers.js';

const name = uniqueName('bpt-apply-restart');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
});

interface Applied {
  changed: { target: string }[];
  restartNeeded: string[];
}

describe('apply changing a running service’s resources', () => {
  it('names the restart it needs, in text and --json; a service it starts needs none', async () => {
    const made = await helloPackageRoot(name, env);
    root = made.root;
    const box = root;
    const file = path.join(made.work, 'appliance.yaml');
    const describe = (memory: string) =>
      writeFileSync(
        file,
        `hostname: edge-7\nmodules:\n  - name: ${name}\n    state: running\n    resources: { memory: ${memory} }\n`,
      );
    const applyJson = async (): Promise<Applied> => {
      const r = await run(['--root', box, '--json', 'apply', '-f', file], { env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Applied;
    };

    // Started by this apply, after its overrides were written: it already runs with them.
    describe('96m');
    expect((await applyJson()).restartNeeded).toEqual([]);

    describe('128m');
    // --dry-run (Ansible's --check) names it too: the restart this apply would leave to do.
    const dry = await run(['--root', box, '--json', 'apply', '-f', file, '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).restartNeeded).toEqual([name]);
    const dryText = await run(['--root', box, 'apply', '-f', file, '--dry-run'], { env });
    expect(dryText.stdout).toContain(
      `${name} would run with its old resources until it is restarted: \`blueprint --root ${box} service restart ${name}\``,
    );
    const changed = await applyJson();
    expect(changed.changed.map((c) => c.target)).toContain(`etc/blueprint/overrides/${name}.json`);
    expect(changed.restartNeeded).toEqual([name]);
    // ... and that is so: the service still runs with its old limit.
    const inspect = await run(['--root', box, '--json', 'service', 'inspect', name], { env });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).runningLimits).toMatchObject({ memoryBytes: 96 * 1024 * 1024 });

    describe('160m');
    const text = await run(['--root', box, 'apply', '-f', file], { env });
    expect(text.code, text.stderr).toBe(0);
    const restart = `blueprint --root ${box} service restart ${name}`;
    expect(text.stdout).toContain(
      `${name} runs with its old resources until it is restarted: \`${restart}\``,
    );
    expect(text.stdout).not.toMatch(/next boot/);

    const restarted = await run(['--root', box, 'service', 'restart', name], { env });
    expect(restarted.code, restarted.stderr).toBe(0);
    const again = await applyJson();
    expect(again).toMatchObject({ changed: [], restartNeeded: [] });

    // The engine down while planning: nothing changed, and the error document says so.
    describe('192m');
    const down = await run(['--root', box, '--json', 'apply', '-f', file], {
      env: { ...env, CONTAINER_HOST: `unix://${path.join(made.work, 'no-engine.sock')}` },
    });
    expect(down.code, down.stdout + down.stderr).toBe(6);
    expect(JSON.parse(down.stdout).error.changed).toEqual([]);
    expect(existsSync(path.join(box, `etc/blueprint/overrides/${name}.json`))).toBe(true);
  }, 300_000);
});
