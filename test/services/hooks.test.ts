import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { startService } from '../../src/core/services/lifecycle.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { serviceStatus } from '../../src/core/services/status.js';
import { auditNetwork } from '../../src/core/system/network.js';
import { treeSocketInodes } from '../helpers/sockets.js';
import { emptyFileBox, podman, quietHook, uniqueName } from './helpers.js';

// Installing through the package hooks: what is refused, what is checked, what is left behind.
const { box, build } = emptyFileBox();

const rejection = async (p: Promise<unknown>) => {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { exitCode?: number; code?: string }) | undefined;
  expect(err, 'expected a refusal').toBeDefined();
  return err!;
};

describe('service package hooks', () => {
  it('refuses a manifest asking for privileged mode, host network or a host path, naming the field', async () => {
    for (const [ask, field] of [
      [{ privileged: true }, 'service.privileged'],
      [{ network: 'host' }, 'service.network'],
      [{ mounts: [{ source: '/var/run/podman', target: '/engine' }] }, 'service.mounts.0.source'],
    ] as const) {
      const name = uniqueName('bpt-refused');
      const err = await rejection(box.install(name, ask));
      expect(err.exitCode).toBe(ExitCode.verification);
      expect(err.message).toContain(field);
      expect(await findRegistration(box.root, name)).toBeUndefined();
    }
  });

  it('refuses an image whose ID is not the signed one, and removes what it loaded', async () => {
    const name = uniqueName('bpt-tampered');
    const err = await rejection(
      box.install(name, { image: { archive: 'image.tar', id: `sha256:${'0'.repeat(64)}` } }),
    );
    expect(err.code).toBe('image-digest-mismatch');
    expect(await findRegistration(box.root, name)).toBeUndefined();
    await expect(podman('image', 'exists', build.id)).rejects.toThrow();
  });

  it('asks the admin before giving outbound network, and says so when approved', async () => {
    const name = uniqueName('bpt-outbound');
    const err = await rejection(box.install(name, { network: 'outbound' }));
    expect(err.code).toBe('network-not-approved');
    expect(err.message).toContain('outbound network');
    expect(await findRegistration(box.root, name)).toBeUndefined();
    // Approved (--yes): installed, the approval recorded, and the admin warned.
    const hook = quietHook(true);
    await box.install(name, { network: 'outbound' }, { hook });
    expect(hook.warnings.join('\n')).toContain('outbound network approved by the admin');
    expect((await findRegistration(box.root, name))?.approvals.outboundNetwork).toBe(true);
  });

  it('an upgrade replaces the running container with the new version and keeps the shared image', async () => {
    const name = uniqueName('bpt-upgrade');
    const deps = { engine: box.engine, root: box.root };
    const old = await box.install(name);
    await startService(deps, name);
    await box.install(name, {}, { version: '1.1.0' });
    // The package manager calls afterRemove for the version it replaced.
    await box.hooks.afterRemove!(old, quietHook());
    const st = await serviceStatus(deps, name);
    expect(st).toMatchObject({ version: '1.1.0', containerVersion: '1.1.0' });
    expect(st.state).toBe('running');
    await podman('image', 'exists', build.id);
  });

  it('a running module adds no listener reachable from the network', async () => {
    const name = uniqueName('bpt-audit');
    await box.install(name);
    expect((await startService({ engine: box.engine, root: box.root }, name)).healthy).toBe(true);
    // Judged by owner: the container's monitor (conmon, which would hold a published host port)
    // and every process under it, the module included. A diff of the whole machine's listeners
    // also caught sockets that other tests opened meanwhile.
    const info = JSON.parse(await podman('inspect', `blueprint-${name}`))[0];
    expect(info.NetworkSettings.Ports ?? {}).toEqual({});
    const held = await treeSocketInodes(info.State.ConmonPid);
    expect(held.size).toBeGreaterThan(0); // conmon's own (unix) sockets: the lookup sees them
    const exposed = (await auditNetwork('/')).filter((l) => l.flagged && held.has(l.inode));
    expect(exposed).toEqual([]);
  });
});
