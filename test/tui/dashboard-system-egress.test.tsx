/**
 * The console's Dashboard said nothing of the OS itself or of egress, which `blueprint status`
 * now says: a System row (the version, which A/B slot runs and which boots next, or why that is
 * unknown) and an Egress row (default deny, how many destinations and the first that fit), the
 * lines src/present/host.ts makes for all three front ends. On the 80x24 console, with every other
 * row full (services past the four shown, encryption, a recovery key note, many listeners), every
 * frame still fits.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { EgressSummary, ExposureAudit, SystemSummary } from '../../src/app/index.js';
import { App } from '../../src/tui/App.js';
import type { ServiceRow, Sources } from '../../src/tui/sources.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, expectFits, frameWith, sourcesFor, type } from './helpers.js';

/** The frames painted at the console's size (those before it were at the test terminal's). */
async function atConsole(app: Parameters<typeof consoleSize>[0] & { frames: string[] }) {
  consoleSize(app, 80, 24);
  await new Promise((r) => setTimeout(r, 100));
  return app.frames.length;
}

const box = boxPerTest('dashsys');

const system: SystemSummary = { version: '1.4.2', bootedSlot: 'A', nextSlot: 'B', slotsAvailable: true };
const egress: EgressSummary = {
  policy: 'deny',
  destinations: ['*:53', '0.debian.pool.ntp.org:123', '1.debian.pool.ntp.org:123', 'deb.debian.org:80'],
};

function fullSources(facts: () => Promise<{ system: SystemSummary; egress: EgressSummary }>): Sources {
  const listeners = Array.from({ length: 14 }, (_, i) => ({
    proto: 'tcp' as const,
    address: '0.0.0.0',
    port: 8000 + i,
    inode: i,
    loopback: false,
    flagged: true,
  }));
  const services: ServiceRow[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({
    name,
    state: 'running',
    sandboxed: true,
    detail: '',
  }));
  return sourcesFor(box.root, {
    exposure: async (): Promise<ExposureAudit> => ({ listeners, firewall: 'blueprint', allowedPorts: [22] }),
    services: async () => ({ available: true, value: services }),
    gpus: async () => ({ available: true, value: [] }),
    updates: async () => ({ available: true, value: 0 }),
    encryption: async () => ({
      encrypted: true,
      unlockedBy: 'tpm',
      active: true,
      recoveryKeyEnrolled: true,
      tpmPresent: true,
      pcrs: [7],
      device: '/dev/vda3',
      recoveryKeyNote: 'the recovery key is in /root/recovery-key.txt: move it off the box and delete it',
    }),
    systemAndEgress: facts,
  });
}

describe('Dashboard: the system and egress rows', () => {
  it('shows both on the 80x24 console, every frame within it', async () => {
    const app = render(
      <App
        sources={fullSources(async () => ({ system, egress }))}
        theme={{ plain: true }}
        onExit={() => {}}
      />,
    );
    const start = await atConsole(app);
    await frameWith(app, 'Egress');
    await type(app, 'r'); // painted again, at this size
    await new Promise((r) => setTimeout(r, 300));
    const f = app.lastFrame() ?? '';
    expect(f).toMatch(/^ System {5}version 1\.4\.2, slot A booted, B boots next/m);
    expect(f).toMatch(/^ Egress {5}default deny; 4 allowed out: \*:53, /m);
    expect(f).toContain('more: blueprint audit network');
    expect(app.frames.length).toBeGreaterThan(start);
    expectFits(app.frames.slice(start), 80, 24);
    app.unmount();
  });

  it('RAUC unknown: the reason in the row; a failed read is said, not a blank or a crash', async () => {
    const unread: SystemSummary = {
      version: '1.4.2',
      bootedSlot: null,
      nextSlot: null,
      slotsAvailable: false,
      slotsUnavailable: { code: 'rauc-timeout', message: 'RAUC did not answer within 5 s' },
    };
    const app = render(
      <App
        sources={fullSources(async () => ({ system: unread, egress }))}
        theme={{ plain: true }}
        onExit={() => {}}
      />,
    );
    const start = await atConsole(app);
    const f = await frameWith(app, 'Egress');
    expect(f).toMatch(/^ System {5}version 1\.4\.2, slots unknown \(RAUC did not answer within 5 s\)/m);
    expectFits(app.frames.slice(start), 80, 24);
    app.unmount();
    const broken = render(
      <App
        sources={fullSources(async () => {
          throw new Error('no such thing');
        })}
        theme={{ plain: true }}
        onExit={() => {}}
      />,
    );
    consoleSize(broken, 80, 24);
    const g = await frameWith(broken, 'Exposure');
    expect(g).toMatch(/^ System {5}unknown \(no such thing\)/m);
    broken.unmount();
  });

  it('a RAUC slow to answer holds no frame: the other rows first, the system row when it comes', async () => {
    const started = Date.now();
    const slow = new Promise<{ system: SystemSummary; egress: EgressSummary }>((r) =>
      setTimeout(() => r({ system, egress }), 2500),
    );
    const app = render(<App sources={fullSources(() => slow)} theme={{ plain: true }} onExit={() => {}} />);
    const first = await frameWith(app, 'Memory');
    expect(Date.now() - started).toBeLessThan(2400);
    expect(first).toMatch(/^ System {5}\.\.\.$/m);
    await frameWith(app, 'slot A booted', 300);
    app.unmount();
  });

  it('over the real core on a bare root: both rows from the box (no firewall, no A/B slots)', async () => {
    const app = render(<App sources={sourcesFor(box.root)} theme={{ plain: true }} onExit={() => {}} />);
    consoleSize(app, 80, 24);
    const f = await frameWith(app, 'Egress');
    expect(f).toMatch(/^ System {5}version unknown, no A\/B slots/m);
    expect(f).toMatch(/^ Egress {5}not restricted \(no firewall rules/m);
    app.unmount();
  });
});
