/**
 * apply of a module not installed yet with `state: running`: the plan cannot know whether it has a
 * service ('running, if it has a service'), but once apply installed and started it, the `changed`
 * list (and the text's change line) still read 'running, if it has a service' for what happened.
 * Now the started service reads 'running'. The hello module, signed into a repository by the
 * executable, installed and started through the real package manager and Podman.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, uniqueName } from './helpers.js';

const name = uniqueName('bpt-apply-run');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
});

describe('apply starting a module it installed', () => {
  it("the plan says 'if it has a service'; the changed list says it is running", async () => {
    const made = await helloPackageRoot(name, env);
    root = made.root;
    const file = path.join(made.work, 'appliance.yaml');
    writeFileSync(file, `hostname: edge-5\nmodules:\n  - name: ${name}\n    state: running\n`);

    const plan = await run(['--root', root, '--json', 'apply', '-f', file, '--dry-run'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { changes: { kind: string; what: string }[] }).changes;
    expect(planned.find((c) => c.kind === 'service')?.what).toBe('running, if it has a service');

    const r = await run(['--root', root, '--json', 'apply', '-f', file], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const changed = (JSON.parse(r.stdout) as { changed: { kind: string; action: string; what: string }[] })
      .changed;
    expect(changed.find((c) => c.kind === 'service')).toMatchObject({ action: 'create', what: 'running' });
    // ... and it is (LSB: 0 running).
    const status = await run(['--root', root, 'service', 'status', name], { env });
    expect(status.code, status.stdout + status.stderr).toBe(0);
  }, 300_000);
});
