/**
 * The web dashboard's overview said nothing of the OS itself or of egress, which `blueprint status`
 * now says: the same two lines (src/present/host.ts), from the same `status()`. A real root, a fake
 * `rauc` first on PATH.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { overviewBody } from '../../src/web/pages.js';
import { tempDir } from '../setup/temp-registry.js';

const pathBefore = process.env.PATH;
afterEach(() => {
  process.env.PATH = pathBefore;
});

const fixture = path.resolve('test/update/fixtures/rauc-1.8-status-after-install.json');
const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

function fakeRauc(body: string): void {
  const bin = tempDir('bp-web-rauc-');
  writeFileSync(path.join(bin, 'rauc'), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, 'rauc'), 0o755);
  process.env.PATH = `${bin}:${pathBefore}`;
}

function setUpBox(version: string): string {
  const root = tempDir('bp-web-sys-');
  mkdirSync(path.join(root, 'usr/lib/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'usr/lib/blueprint/system-version'), `${version}\n`);
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/nftables.conf'),
    '# Managed by `blueprint setup` / `blueprint apply`: edits here are overwritten.\n',
  );
  writeFileSync(
    path.join(root, 'etc/blueprint/network.json'),
    JSON.stringify({ network: { dns: { servers: ['9.9.9.9'] }, ntp: 'none', unattendedUpgrades: false } }),
  );
  return root;
}

describe('web overview: the system and egress', () => {
  it('the version and the slots, default deny and what may go out', async () => {
    fakeRauc(`cat ${fixture}`);
    const o = await appOps(setUpBox('1.4.2')).overview();
    const t = text(overviewBody(o));
    expect(t).toContain('System version 1.4.2, slot A booted, B boots next');
    expect(t).toContain('Egress default deny; 1 allowed out: 9.9.9.9:53');
  });

  it('a RAUC busy installing: slots unknown (why); the version escaped as all text', async () => {
    fakeRauc(
      `echo 'error calling D-Bus method "GetSlotStatus": already processing a different method' >&2; exit 1`,
    );
    const o = await appOps(setUpBox('1.4.2<b>')).overview();
    const page = html`${overviewBody(o) as never}`.value;
    expect(page).toContain('version 1.4.2&lt;b&gt;');
    expect(text(overviewBody(o))).toMatch(
      /System version 1\.4\.2&lt;b&gt;, slots unknown \(RAUC is busy installing an update/,
    );
  });
});
