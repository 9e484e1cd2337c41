import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { openManager } from '../helpers/box.js';
import { buildRepo, makeKey, makeSource } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('e2e');
beforeEach(() => requireExe());

/** A tmux pane killed after the test, before its folders go. */
function pane(...args: ConstructorParameters<typeof Pane>): Pane {
  const p = new Pane(...args);
  t.defer(async () => p.kill());
  return p;
}

describe('dist/blueprint in tmux', () => {
  it('goes through the setup wizard on a temp root, installs a module, then shows the dashboard', async () => {
    const { root, work } = t;
    const key = await makeKey(path.join(work, 'repokey'), { name: 'Fleet Repo' });
    const repoDir = path.join(work, 'repo');
    await buildRepo(repoDir, key, [
      makeSource(path.join(work, 'src'), { name: 'hello-module', version: '1.0.0' }),
    ]);
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'ops@laptop',
      '-f',
      path.join(work, 'id'),
    ]);
    const pub = (await readFile(path.join(work, 'id.pub'), 'utf8')).trim();

    const p = pane([exe, '--root', root, 'setup'], { width: 100, height: 50 });
    await p.answer('Step 1 of', 'box-03');
    await p.answer('Time zone', 'Asia/Tokyo');
    await p.answer('Admin user', 'Bad Name');
    await p.answer('! must start with a lower-case letter', 'operator');
    await p.answer('Admin SSH key', path.join(work, 'id.pub')); // imported from a file, as from a USB stick
    await keepScreen('wizard-ssh-step', await p.waitFor('Let SSH listen?'));
    p.keys('y');
    await p.answer('URL of the package repository', pathToFileURL(repoDir).href);
    await p.answer("repository's public signing key", key.publicFile);
    const trust = await p.waitFor('Does this fingerprint match');
    expect(trust.replace(/\s/g, '')).toContain(key.fingerprint.toUpperCase());
    expect(trust).toContain('Signer: Fleet Repo');
    p.keys('y');
    await p.waitFor('DNS server addresses');
    await new Promise((r) => setTimeout(r, 1100)); // a bare Enter sooner would belong to the y/n
    p.keys('Enter');
    await p.waitFor('NTP servers');
    p.keys('Enter');
    await p.waitFor('Debian security updates');
    p.keys('y');
    await p.waitFor('GPU check');
    await new Promise((r) => setTimeout(r, 1100)); // a bare Enter sooner would belong to the y/n
    p.keys('Enter');
    await p.answer('Modules to install', 'hello-module');
    const summary = await p.waitFor('Apply these changes?');
    await keepScreen('wizard-summary', summary);
    expect(summary).toMatch(/create\s+file\s+etc\/hostname/);
    expect(summary).toMatch(/create\s+key\s+[0-9A-F]{40}/);
    p.keys('y');
    await p.waitFor('Done.');
    p.keys('x');
    await p.waitFor('EXIT=0');

    expect(await readFile(path.join(root, 'etc/hostname'), 'utf8')).toBe('box-03\n');
    expect(await readlink(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/Asia/Tokyo');
    expect(await readFile(path.join(root, 'home/operator/.ssh/authorized_keys'), 'utf8')).toBe(`${pub}\n`);
    expect((await stat(path.join(root, 'home/operator/.ssh/authorized_keys'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(root, 'etc/nftables.conf'), 'utf8')).toMatch(/tcp dport 22 ct state new/);
    expect((await (await openManager(root)).installed()).map((x) => x.name)).toEqual(['hello-module']);

    // The dashboard at 80x24 on the box just set up.
    const d = pane([exe, '--root', root], { width: 80, height: 24 });
    const dash = await d.waitFor('Exposure');
    await keepScreen('dashboard', dash);
    expect(dash).toMatch(/Host\s+box-03/);
    expect(dash).toContain('firewall on (default deny, allows tcp 22)');
    expect(dash).toMatch(/Updates\s+up to date/);
    expect(dash.split('\n').every((l) => l.length <= 80)).toBe(true);
    // Resizing redraws for the new size: the key line moves to the new last row.
    d.resize(120, 40);
    const big = await d.waitFor(/^(?:[^\n]*\n){39}\? help/);
    expect(big.split('\n')[0]).toMatch(/^BlueprintOS/);
    expect(big).toMatch(
      // A temp root has no socket tables (proc/net): none read, not "0" (test/cli/status-exposure-unread).
      /Exposure\s+firewall on \(default deny, allows tcp 22\); listening sockets not read/,
    );
    d.keys('q');
    await d.waitFor('EXIT=0');
  });

  it('is plain text with NO_COLOR and TERM=dumb, on the Dashboard and the wizard; Ctrl-C quits', async () => {
    const { root } = t;
    // CI=true as an automation job may leave it: Ink would otherwise paint nothing until exit.
    const p = pane([exe, '--root', root], { env: { NO_COLOR: '1', TERM: 'dumb', CI: 'true' } });
    await p.waitFor('(not set up: press 5)');
    // No SGR colour or inverse codes at all.
    expect(p.screen(true)).not.toMatch(/\x1b\[[0-9;]*m/);
    p.keys('5');
    await p.waitFor('Step 1 of');
    expect(p.screen(true)).not.toMatch(/\x1b\[[0-9;]*m/);
    p.keys('Escape');
    await p.waitFor('Exposure');
    p.keys('?');
    await p.waitFor('Everywhere');
    p.keys('C-c');
    await p.waitFor('EXIT=0');
  });

  it('setup without a terminal and without --answers refuses with a hint instead of hanging', () => {
    const { root } = t;
    let out = '';
    try {
      execFileSync(exe, ['--root', root, 'setup'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      out = String((err as { stderr: Buffer }).stderr);
      expect((err as { status: number }).status).toBe(2);
    }
    expect(out).toContain('No terminal for the wizard and no --answers file');
  });
});

describe('dist/blueprint in tmux with the container engine', () => {
  const engineUp = existsSync('/run/podman/podman.sock');
  it.skipIf(!engineUp)(
    'installs and starts a sandboxed module from the wizard; the dashboard shows it running',
    async () => {
      const { root, work } = t;
      // The example module under a unique name: several people's tests share one Podman engine.
      const name = `tuie2e-${randomBytes(3).toString('hex')}`;
      const src = path.join(work, name);
      await cp(path.resolve(import.meta.dirname, '../../modules/hello'), src, { recursive: true });
      const manifest = JSON.parse(await readFile(path.join(src, 'manifest.json'), 'utf8'));
      await writeFile(path.join(src, 'manifest.json'), JSON.stringify({ ...manifest, name }));
      const bp = (...args: string[]) =>
        execFileSync(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const fpr = JSON.parse(
        bp('--json', 'repo', 'keygen', '--out', path.join(work, 'key'), '--name', 'E2E'),
      ).fingerprint;
      const repo = path.join(work, 'repo');
      bp(
        'repo',
        'build',
        src,
        '--repo',
        repo,
        '--name',
        'e2e',
        '--key',
        path.join(work, 'key/signing-key.asc'),
      );
      // Removes what the test installed; a test that failed before installing leaves nothing.
      t.defer(async () => {
        spawnSync(exe, ['--root', root, '--yes', 'pkg', 'remove', name], { stdio: 'ignore' });
      });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'id')]);

      const p = pane([exe, '--root', root, 'setup'], { width: 100, height: 50 });
      await p.answer('Step 1 of', 'box-svc');
      await p.answer('Time zone', 'UTC');
      await p.answer('Admin user', 'admin');
      await p.answer('Admin SSH key', path.join(work, 'id.pub'));
      await p.waitFor('Let SSH listen?');
      p.keys('n');
      // SSH off: the admin's console password, twice, unseen (QA18).
      await p.answer('Console password for admin', 'Correct-Horse-9');
      await p.answer('The same console password again', 'Correct-Horse-9');
      await p.answer('URL of the package repository', pathToFileURL(repo).href);
      await p.answer("repository's public signing key", path.join(work, 'key/signing-key.pub.asc'));
      expect((await p.waitFor('Does this fingerprint match')).replace(/\s/g, '')).toContain(
        String(fpr).toUpperCase(),
      );
      p.keys('y');
      await p.answer('DNS server addresses', '');
      await p.answer('NTP servers', 'none');
      await p.waitFor('Debian security updates');
      p.keys('n');
      await p.waitFor('GPU check');
      await new Promise((r) => setTimeout(r, 1100)); // a bare Enter sooner would belong to the y/n
      p.keys('Enter');
      await p.answer('Modules to install', name);
      expect(await p.waitFor('Apply these changes?')).toMatch(
        // Not installed yet: whether it has a service shows once its package is (e1b534a).
        new RegExp(`create\\s+service\\s+${name}\\s+\\(running, if it has a service\\)`),
      );
      p.keys('y');
      await p.waitFor('Done.', 1200);
      p.keys('x');
      await p.waitFor('EXIT=0');

      const d = pane([exe, '--root', root], { width: 100, height: 30 });
      const dash = await d.waitFor(new RegExp(`${name}\\s+running\\s+\\[sandboxed\\]`));
      await keepScreen('dashboard-with-service', dash);
      d.keys('q');
      await d.waitFor('EXIT=0');
      const status = JSON.parse(bp('--root', root, '--json', 'service', 'status', name));
      expect(status).toMatchObject({ name, state: 'running', health: 'healthy' });
    },
  );
});
