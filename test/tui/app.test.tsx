import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fitCell, windowStart } from '../../src/tui/components/Table.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('ink');

const ENTER = '\r';
const ESC = '\x1b';

describe('Table helpers', () => {
  it('cuts cells with an ellipsis and keeps the selection in the window', () => {
    expect(fitCell('abcdef', 4)).toBe('abc…');
    expect(fitCell('ab', 4)).toBe('ab  ');
    expect(windowStart(0, 5, 100)).toBe(0);
    expect(windowStart(50, 5, 100)).toBe(48);
    expect(windowStart(99, 5, 100)).toBe(95);
  });
});

describe('the app', () => {
  it('shows real host facts on the dashboard and says what is not available', async () => {
    const app = renderApp(sourcesFor(box.root));
    const frame = await frameWith(app, 'Memory');
    expect(frame).toMatch(/CPU\s+\d+% busy\s+\d+ cores/);
    expect(frame).toContain(`on ${box.root}`);
    // The temp root has no /sys devices and no installed services: said plainly.
    expect(frame).toMatch(/GPUs\s+none found/);
    expect(frame).toMatch(/Services\s+none installed/);
    expect(frame).toContain('(not set up: press 5)');
    expect(frame).toContain('firewall NOT CONFIGURED');
    app.unmount();
  });

  it("shows where a headless setup kept the recovery key, from the box's note (tty1 has no login prompt to show it)", async () => {
    await mkdir(box.at('var/lib/blueprint'), { recursive: true });
    await writeFile(
      box.at('var/lib/blueprint/recovery-key-where'),
      "BlueprintOS: this box's data recovery key was kept in /var/lib/blueprint/recovery-key.txt.\n",
    );
    const app = renderApp(sourcesFor(box.root));
    const frame = await frameWith(app, 'recovery key was kept');
    expect(frame).toMatch(/Key\s+BlueprintOS: this box's data recovery key was kept/);
    app.unmount();
  });

  it('lists services with their sandbox badge when the source has them', async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        services: async () => ({
          available: true,
          value: [
            { name: 'llm', state: 'running', sandboxed: true, detail: '' },
            { name: 'legacy', state: 'stopped', sandboxed: false, detail: '' },
          ],
        }),
      }),
    );
    const frame = await frameWith(app, 'legacy');
    expect(frame).toMatch(/llm\s+running\s+\[sandboxed\]/);
    expect(frame).toMatch(/legacy\s+stopped\s+\[NOT SANDBOXED\]/);
    app.unmount();
  });

  it('says which services are used by which, and how many more there are than it shows', async () => {
    // The Dashboard showed the first 4 rows and nothing of the rest, and not who uses whom (issue 17:
    // `blueprint status` and the TUI show dependent services).
    const row = (name: string, usedBy: string[] = []) => ({
      name,
      state: 'running',
      sandboxed: true,
      detail: '',
      usedBy,
    });
    const app = renderApp(
      sourcesFor(box.root, {
        services: async () => ({
          available: true,
          value: [
            row('embeddings', ['rag']),
            row('hello'),
            row('llm', ['rag']),
            row('rag'),
            row('vectors', ['rag']),
          ],
        }),
      }),
    );
    const frame = await frameWith(app, 'more');
    expect(frame).toMatch(/embeddings\s+running\s+\[sandboxed\]\s+used by rag/);
    expect(frame).toMatch(/hello\s+running\s+\[sandboxed\]\s*\n/);
    expect(frame).toContain('+2 more (press 3)');
    expect(frame).not.toContain('vectors');
    app.unmount();
  });

  it('opens help with ?, switches screens with numbers, and quits with q from the dashboard', async () => {
    const app = renderApp(sourcesFor(box.root));
    await frameWith(app, 'Memory');
    await type(app, '?');
    expect(await frameWith(app, 'Everywhere')).toContain('Ctrl-C');
    await type(app, '?', '2');
    expect(await frameWith(app, 'Packages (0)')).toContain('[2 Packages]');
    await type(app, 'q');
    await frameWith(app, '[1 Dashboard]');
    await type(app, 'q');
    expect(app.exits).toEqual([0]);
  });

  it('filters a list as you type after /', async () => {
    const value = ['alpha', 'beta', 'alphabet'].map((name) => ({
      name,
      version: '1.0.0',
      installed: false,
      summary: `${name} module`,
    }));
    const app = renderApp(sourcesFor(box.root, { packages: async () => ({ available: true, value }) }));
    await type(app, '2');
    await frameWith(app, 'Packages (3)');
    await type(app, '/', 'a', 'l', 'p');
    const frame = await frameWith(app, 'Packages (2 of 3)');
    expect(frame).not.toContain('beta module');
    await type(app, ESC);
    await frameWith(app, 'Packages (3)');
    app.unmount();
  });
});

describe('the setup wizard', () => {
  it('refuses a bad host name with the reason, then writes the box', async () => {
    const app = renderApp(sourcesFor(box.root), { initial: 'setup', wizardOnly: true });
    await frameWith(app, 'Step 1 of');
    await type(app, '\x15', '-bad', ENTER);
    expect(await frameWith(app, '! must be letters')).toContain('Host name');
    await type(app, '\x15', 'box-07', ENTER);
    await frameWith(app, 'Time zone');
    await type(app, '\x15', 'Europe/Berlin', ENTER);
    await frameWith(app, 'Admin user');
    await type(app, ENTER); // default "admin"
    await frameWith(app, 'Admin SSH key');
    await type(app, 'ssh-ed25519 AAAAnotakey', ENTER);
    await frameWith(app, '! ');
    const key = sshPublicKey('ops@laptop');
    await type(app, '\x15', key, ENTER);
    await frameWith(app, 'Let SSH listen?');
    await type(app, 'y');
    await frameWith(app, 'URL of the package repository');
    // Cleared, then Enter: a bare Enter right after the y would belong to the y (wizard-keys.test).
    await type(app, '\x15', ENTER);
    // Network choices (issue 19): each step shows what it adds to the firewall's allow-list.
    expect(await frameWith(app, 'DNS server addresses')).toContain('any address:53');
    await type(app, ENTER);
    expect(await frameWith(app, 'NTP servers')).toContain('0.debian.pool.ntp.org:123');
    await type(app, '\x15', 'none', ENTER);
    expect(await frameWith(app, 'Debian security updates')).toContain('deb.debian.org:80');
    await type(app, 'n');
    await frameWith(app, 'GPU check');
    await new Promise((r) => setTimeout(r, 1100)); // a bare Enter this soon would belong to the n
    await type(app, ENTER);
    await frameWith(app, 'Modules to install');
    await type(app, ENTER);
    const summary = await frameWith(app, 'Apply these changes?');
    expect(summary).toContain('create    file       etc/hostname');
    await type(app, 'y');
    await frameWith(app, 'Done.');
    expect(await readFile(box.at('etc/hostname'), 'utf8')).toBe('box-07\n');
    const timesync = await readFile(box.at('etc/systemd/timesyncd.conf.d/60-blueprint-ntp.conf'), 'utf8');
    expect(timesync).toContain('NTP=\n');
    expect(await readFile(box.at('etc/nftables.conf'), 'utf8')).not.toContain('deb.debian.org');
    expect(await readlink(box.at('etc/localtime'))).toBe('/usr/share/zoneinfo/Europe/Berlin');
    expect(await readFile(box.at('home/admin/.ssh/authorized_keys'), 'utf8')).toBe(`${key}\n`);
    expect((await stat(box.at('home/admin/.ssh/authorized_keys'))).mode & 0o777).toBe(0o600);
    await type(app, 'x');
    expect(app.exits).toEqual([0]);
  });
});
