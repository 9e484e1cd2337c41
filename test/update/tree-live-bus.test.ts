/**
 * `--root TREE system update/rollback` must not change the running box (REVIEW3's left item):
 * RAUC's client sends install and mark-* to the service on the system bus whatever --conf says, so
 * under a root other than / without a bus chosen for it (DBUS_SYSTEM_BUS_ADDRESS) `blueprint
 * --root /mnt/image system rollback` rolled back the box it ran on. Such a change is refused
 * before RAUC is asked; with the variable set (a tree's own RAUC service: rauc-sandbox.ts) the
 * commands act as before (system-update, rollback-interrupted and from-repo run them so).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';

const t = rootsPerTest('tree-bus');

function tree(): string {
  mkdirSync(path.join(t.root, 'etc/rauc'), { recursive: true });
  writeFileSync(
    path.join(t.root, 'etc/rauc/system.conf'),
    '[system]\ncompatible=blueprint-x86_64\nbootloader=custom\n\n[keyring]\npath=ca.pem\n',
  );
  mkdirSync(path.join(t.root, 'usr/lib/blueprint'), { recursive: true });
  writeFileSync(path.join(t.root, 'usr/lib/blueprint/system-version'), '1.0.0\n');
  return t.root;
}

it.each([
  ['rollback', ['system', 'rollback']],
  ['update FILE', ['system', 'update', 'BUNDLE']],
  ['update --from', ['system', 'update', '--from', 'main']],
])(
  'system %s under --root TREE without DBUS_SYSTEM_BUS_ADDRESS is refused before RAUC is asked',
  async (_, args) => {
    const root = tree();
    const bundle = path.join(t.work, 'update.raucb');
    writeFileSync(bundle, 'not read: the change is refused first');
    const r = await run(['--root', root, ...args.map((a) => (a === 'BUNDLE' ? bundle : a))]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('DBUS_SYSTEM_BUS_ADDRESS');
    expect(r.stderr).toContain('running box');
    expect(r.stderr).not.toContain('RAUC cannot answer'); // RAUC was not asked
  },
);

it('with DBUS_SYSTEM_BUS_ADDRESS naming the tree’s bus, the change goes to RAUC as before', async () => {
  const root = tree();
  const r = await run(['--root', root, 'system', 'rollback'], {
    env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(t.work, 'no-bus.sock')}` },
  });
  expect(r.stderr).not.toContain('DBUS_SYSTEM_BUS_ADDRESS');
  expect(r.stderr).toContain('RAUC cannot answer'); // asked: this tree's RAUC has no service here
});
