import { spawn } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { blueprintExe, bpkg, GOOD, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * An admin who forgets sudo (seen on the demo box, as nobody): `blueprint service list` said 'No
 * services installed' and `status` 'services: none installed' with four running (the
 * registrations' folder is root's, 0700, and its unreadable listing was read as empty);
 * `blueprint rag list` said 'rag is installed, but it is a package without a service'; `bpkg
 * install hello` ended 'EACCES: permission denied, realpath …' with 'This is a bug in blueprint'.
 * Each now says permission was denied and to run it as root. The executable, run as uid 65534.
 */
const asRoot = process.getuid?.() === 0;

function asNobody(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(blueprintExe, args, {
      uid: 65534,
      gid: 65534,
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A root others may enter, as / is (tempDir makes 0700 folders). */
const open = (root: string) => {
  chmodSync(root, 0o755);
  return root;
};

describe.skipIf(!asRoot)('without root', () => {
  it('service list, status and rag list: permission denied and run as root, not "none installed"', async () => {
    const root = open(tempDir('bp-not-root-'));
    installedRag(root);
    // As on a box: the registrations' folder is root's alone (made 0700 with the image tags').
    chmodSync(path.join(root, 'var/lib/blueprint/services'), 0o700);
    for (const args of [
      ['service', 'list'],
      ['rag', 'list'],
    ]) {
      const r = await asNobody(['--root', root, ...args]);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/No services installed|without a service/);
      expect(r.code, args.join(' ')).toBe(7);
      expect(r.stderr).toContain(
        `error: Permission denied: ${path.join(root, 'var/lib/blueprint/services')}`,
      );
      expect(r.stderr).toContain(`hint: Run it as root: \`sudo blueprint --root ${root} ${args.join(' ')}\``);
    }
    // The command as typed already names its box: repeated once, in the spelling typed
    // (present/root-in-hints.ts adds a --root to a hint's commands that have none).
    const eq = await asNobody([`--root=${root}`, 'service', 'list']);
    expect(eq.stderr).toContain(`hint: Run it as root: \`sudo blueprint --root=${root} service list\`\n`);
    // A box the environment named: sudo drops BLUEPRINT_ROOT, so the command names it.
    const env = await asNobody(['service', 'list'], { BLUEPRINT_ROOT: root });
    expect(env.stderr).toContain(`hint: Run it as root: \`sudo blueprint --root ${root} service list\`\n`);
    // service status NAME answers in LSB codes: unreadable is none of them (not 4, not installed).
    const one = await asNobody(['--root', root, 'service', 'status', 'rag']);
    expect(one.code).toBe(7);
    const help = await asNobody(['service', 'status', '--help']);
    expect(help.stdout).toMatch(/^ {2}7 {4}its registration is not readable: run it as root$/m);
    // status goes on (the rest is readable) and says why the services are not known, not 'EACCES: …, scandir'.
    const status = await asNobody(['--root', root, 'status']);
    expect(status.stdout).not.toContain('services: none installed');
    expect(status.stdout).toContain(
      `services: unknown (permission denied: ${path.join(root, 'var/lib/blueprint/services')}; run it as root)`,
    );
  });

  it('bpkg install: permission denied and run as root, not "a bug in blueprint"', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = open(await trustingRoot(key, repo));
    const r = await asNobody(['--root', root, 'pkg', 'install', 'good']);
    expect(r.stderr).not.toContain('This is a bug');
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^error: Permission denied: /m);
    expect(r.stderr).toContain(`hint: Run it as root: \`sudo blueprint --root ${root} pkg install good\``);
  });
  it("status on a box with a package: the rest of the box, packages 'unknown', not the whole status refused", async () => {
    // Found booting the image (test/image/egress.test.ts): the box's umask 027 leaves the package
    // manager's files root's, and `blueprint --json status` as the admin answered only
    // 'Permission denied: …/pkg/journal.json'.
    const { key, repo } = await signedRepo([GOOD]);
    const root = open(await trustingRoot(key, repo));
    await bpkg(root, ['--yes', 'install', GOOD.name]);
    const pkgDir = path.join(root, 'var/lib/blueprint/pkg');
    chmodSync(pkgDir, 0o750);
    for (const f of readdirSync(pkgDir)) chmodSync(path.join(pkgDir, f), 0o640);
    const json = await asNobody(['--root', root, '--json', 'status']);
    expect(json.code, json.stdout).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status).toMatchObject({ root, packages: [] });
    expect(status.packagesError).toMatch(/^permission denied: .*; run it as root$/);
    const text = await asNobody(['--root', root, 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ {2}packages: unknown \(permission denied: .*; run it as root\)/);
  });
});
