/**
 * `blueprint service start hello-data` on a box where hello-data is installed (a package without a
 * service, as the demo's first install is): it said 'No installed module named hello-data has a
 * service' with 'Install it with `bpkg install hello-data`', and that install then says it is
 * installed already. The hint sent the admin to a command that changes nothing. Now the message says
 * the package is installed and has no service, and the hint names where the services are. A name
 * installed as nothing keeps the install hint. Exit codes unchanged (3; 4 for `service status`,
 * as LSB's 'unknown'). The real executable.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpkg, run, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('a service command naming an installed package that has no service', () => {
  it('says it is installed without a service, not to install it', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    const installed = await bpkg(root, ['--yes', 'install', 'hello-data']);
    expect(installed.code, installed.stderr).toBe(0);

    for (const [cmd, code] of [
      ['start', 3],
      ['logs', 3],
      ['status', 4],
    ] as const) {
      const r = await run(['--root', root, 'service', cmd, 'hello-data']);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toContain('error: hello-data is installed, but it is a package without a service');
      expect(r.stderr).not.toMatch(/bpkg (--root \S+ )?install hello-data/);
      expect(r.stderr).toContain(`\`blueprint --root ${root} service list\` shows the installed services`);
      const json = await run(['--root', root, '--json', 'service', cmd, 'hello-data']);
      expect(json.code).toBe(code);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not-found' });
    }

    // Not installed at all: install it, as before.
    const other = await run(['--root', root, 'service', 'start', 'hello']);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain('error: No installed module named hello has a service');
    expect(other.stderr).toContain(`hint: Install it with \`bpkg --root ${root} install hello\``);
  });

  it('a typo of an installed service: names it, not an install of the typo', async () => {
    // In the demo walk: `service logs helo` with hello running said 'Install it with
    // `bpkg install helo`', which then fails (no package helo). A registration folder stands in
    // for the installed hello (the hint reads only its name).
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    await mkdir(path.join(root, 'var/lib/blueprint/services/hello'), { recursive: true });
    for (const [cmd, code] of [
      ['logs', 3],
      ['status', 4],
    ] as const) {
      const r = await run(['--root', root, 'service', cmd, 'helo']);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toContain('error: No installed module named helo has a service');
      expect(r.stderr).toContain(
        `hint: Did you mean hello? \`blueprint --root ${root} service list\` shows the installed services.`,
      );
      expect(r.stderr).not.toContain('install helo');
    }
  });
});
