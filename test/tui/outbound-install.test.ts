/**
 * Issue 19: a module that asks for outbound network is installed from the console only once the
 * admin has seen its hosts and approved exactly them. The console's install is refused first,
 * naming the hosts (nothing installed); `y` approves that list and installs; `n` installs nothing.
 * The approval holds for the list shown only (src/app/outbound-approval.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { HOSTS, outboundRepo, removeModule } from '../helpers/outbound-module.js';
import { rootsPerTest } from '../helpers/roots.js';
import { buildHello, uniqueName } from '../services/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const t = rootsPerTest('tui-out');

const installedJson = () =>
  readFile(path.join(t.root, 'var/lib/blueprint/pkg/installed.json'), 'utf8').catch(() => '');

async function toApproval(name: string) {
  const app = renderApp(sourcesFor(t.root));
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'i');
  await frameWith(app, `Confirm: install ${name}?`);
  await type(app, 'y');
  return { app, dialog: await frameWith(app, `Approve outbound network for ${name}?`, 400) };
}

describe('installing an outbound module from the console', () => {
  it('shows the hosts first; n installs nothing', async () => {
    const name = uniqueName('bpt-tui-out');
    await outboundRepo(t.root, t.work, name);
    const { app, dialog } = await toApproval(name);
    expect(dialog).toContain(`${name} asks to connect to these hosts; its container can reach nothing else:`);
    for (const h of HOSTS) expect(dialog).toContain(`  ${h}`);
    expect(dialog).toContain('Nothing is installed yet.');
    expect(await installedJson()).not.toContain(name);
    await type(app, 'n');
    await frameWith(app, 'Packages (1)');
    expect(await installedJson()).not.toContain(name);
    app.unmount();
  });

  it('an approval holds for the hosts shown only: another list is refused, naming the declared one', async () => {
    const name = uniqueName('bpt-app-out');
    await outboundRepo(t.root, t.work, name);
    const box = openBox(t.root);
    const err = await box.packages
      .install([name], { approveOutbound: { [name]: ['api.example.org:443'] } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network-not-approved', module: name, hosts: HOSTS });
    // `blueprint --json` prints the error's toJSON(): a script sees the hosts to approve.
    expect((err as { toJSON(): unknown }).toJSON()).toEqual({
      code: 'network-not-approved',
      message: `${name} asks for outbound network access to ${HOSTS.join(', ')}`,
      hint: expect.stringContaining('--yes'),
      module: name,
      hosts: HOSTS,
    });
    expect(await installedJson()).not.toContain(name);
  });

  it('y approves exactly those hosts and installs the real module; its registration holds them', async () => {
    const name = uniqueName('bpt-tui-out');
    const build = await buildHello();
    t.defer(() => rm(build.dir, { recursive: true, force: true }));
    await outboundRepo(t.root, t.work, name, build);
    t.defer(() => removeModule(t.root, name));
    const { app } = await toApproval(name);
    await type(app, 'y');
    const done = await frameWith(app, /Done\.|error|refused/i, 2400);
    expect(done).toContain('Done.');
    // As `bpkg install` says it (QA21): a module runs only once started.
    expect(done).toContain(`${name} is installed, not started`);
    const reg = await findRegistration(t.root, name);
    expect(reg?.approvals).toEqual({ outboundNetwork: true, outbound: HOSTS });
    expect(await installedJson()).toContain(name);
    app.unmount();
  }, 120_000);
});
