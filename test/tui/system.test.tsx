// The console's System screen (issue 21) over the real core and a real RAUC 1.8 service
// (test/update/rauc-sandbox.ts): both slots shown, an update from a bundle file and one from a
// repository (real OpenPGP), each confirmed first, and the way back with its confirmation.
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { raucForSuite, raucMissing, updatesRepository } from '../update/rauc-sandbox.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const missing = raucMissing();

describe.skipIf(missing)(`TUI System screen with real RAUC${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = raucForSuite();

  it('shows both slots, installs a bundle file after confirming, and goes back after confirming', async () => {
    const bundle = box.bundle('2.0.0');
    const app = renderApp(sourcesFor(box.root));
    await type(app, '7');
    const view = await frameWith(app, 'System slots');
    expect(await frameWith(app, /version 1\.0\.0, running slot A/)).toMatch(
      /slot A \(rootfs\.0.*booted, boots next/,
    );
    expect(view).toContain('[7 System]');
    await type(app, 'f');
    await frameWith(app, 'Path of the bundle');
    await type(app, bundle, '\r');
    const confirm = await frameWith(app, 'Confirm: install the system bundle');
    expect(confirm).toContain('slot B (not running)');
    await type(app, 'n'); // declined: nothing written
    await frameWith(app, 'System slots');
    expect(box.entries()).toEqual(['blueprint-a.conf']);
    await type(app, 'f', bundle, '\r');
    await frameWith(app, 'Confirm: install the system bundle');
    await type(app, 'y');
    expect(await frameWith(app, 'Done.', 400)).toMatch(/Installed blueprintos-x86_64 2\.0\.0 into slot B/);
    expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
    await type(app, 'x');
    expect(await frameWith(app, /slot B .*boots next/)).toBeTruthy();
    // The way back cancels the pending update.
    await type(app, 'b');
    expect(await frameWith(app, 'Confirm: go back')).toMatch(/is pending: it is cancelled/);
    await type(app, 'y');
    expect(await frameWith(app, 'Done.')).toMatch(/Slot A \(version .*\) boots next/);
    expect((await sourcesFor(box.root).system!()) as unknown).toMatchObject({
      available: true,
      value: { next: 'rootfs.0' },
    });
    app.unmount();
  });

  it('updates from a repository: the package signed by that repository’s key, then RAUC', async () => {
    await updatesRepository(box, tempDir('bp-tui-sys-'));
    const app = renderApp(sourcesFor(box.root));
    await type(app, '7');
    await frameWith(app, /running slot A/);
    await type(app, 'u');
    await frameWith(app, 'Repository to update from');
    await type(app, 'updates', '\r');
    expect(await frameWith(app, 'Confirm: install the newest system from repository updates')).toMatch(
      /signed by a key of updates/,
    );
    await type(app, 'y');
    const done = await frameWith(app, 'Done.', 400);
    expect(done).toMatch(/From repository updates: package signed by/);
    expect(done).toMatch(/Installed blueprintos-x86_64 3\.0\.0 into slot B/);
    expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
    app.unmount();
  });
});
