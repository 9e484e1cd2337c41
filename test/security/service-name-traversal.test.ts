/**
 * A service name is a module name, never a path. The registry keeps each module's registration at
 * ROOT/var/lib/blueprint/services/NAME/VERSION.json and trusts what it reads there (the package
 * transaction wrote it, root-owned): the image, the mounts, the devices and what the admin approved.
 * A name such as `../../../../tmp/evil`, typed on the command line or percent-encoded in a dashboard
 * URL (`/services/..%2F..%2F..%2F..%2Ftmp%2Fevil`, decoded before it reaches the registry), made it
 * read a registration from a folder any local user may write, and `service start` would have
 * created a container from it. Names are judged before any path is made from them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { findRegistration, getRegistration } from '../../src/core/services/registry.js';
import { appOps } from '../../src/web/app-ops.js';
import { issueLoginToken, startDashboard } from '../../src/web/index.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';
import { request } from '../web/fake-ops.js';

const TRAVERSAL = '../../../../tmp/evil';

/** A registration planted where an unprivileged user could write, four folders above the registry's. */
function plant(): string {
  const root = tempDir('bp-svc-name-');
  const evil = path.join(root, 'tmp/evil');
  mkdirSync(evil, { recursive: true });
  writeFileSync(
    path.join(evil, '9.9.9.json'),
    JSON.stringify({
      name: 'evil',
      version: '9.9.9',
      prefix: evil,
      imageId: 'planted-image',
      approvals: { network: true, gpu: true },
      spec: { image: 'planted', mounts: [{ source: '/', target: '/host', mode: 'rw' }] },
    }),
  );
  return root;
}

describe('service names are module names, not paths', () => {
  it('the registry refuses a name with `..` or `/` before reading anything', async () => {
    const root = plant();
    await expect(getRegistration(root, TRAVERSAL)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getRegistration(root, TRAVERSAL)).rejects.toThrow(/not a module name/);
    expect(await findRegistration(root, TRAVERSAL)).toBeUndefined();
    for (const name of ['..', '.', 'a/b', 'Evil', '-x', '', 'x\0y'])
      expect(await findRegistration(root, name), JSON.stringify(name)).toBeUndefined();
  });

  it('`blueprint service inspect` with a traversal name shows nothing planted and exits 3', () => {
    const root = plant();
    const r = spawnSync(blueprintExe, ['--root', root, '--json', 'service', 'inspect', TRAVERSAL], {
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(3);
    expect(r.stdout + r.stderr).not.toMatch(/planted/);
    expect(JSON.parse(r.stdout).error.message).toMatch(/not a module name/);
  });

  it('the dashboard answers 404 to the name percent-encoded in its URL, showing nothing planted', async () => {
    const root = plant();
    const dash = await startDashboard({
      runDir: path.join(root, 'run/blueprint'),
      ops: appOps(root),
      gid: process.getgid?.() ?? 0,
    });
    try {
      const login = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`, {});
      const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
      const page = await request(dash.socket, `/services/${encodeURIComponent(TRAVERSAL)}`, {
        headers: { cookie },
      });
      expect(page.status).toBe(404);
      expect(page.body).toMatch(/not a module name/);
      expect(page.body).not.toMatch(/planted/);
    } finally {
      await dash.close();
    }
  });
});
