/**
 * The web dashboard's overview said nothing of the OS itself or of egress, which `blueprint status`
 * now says: the same two lines (src/present/host.ts), from the same `status()`. A real root, a fake
 * `rauc` first on PATH.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { overviewBody } from '../../src/web/pages.js';
import { RAUC_STATUS_FIXTURE, raucBin, statusBox } from '../helpers/status-box.js';

const pathBefore = process.env.PATH;
afterEach(() => {
  process.env.PATH = pathBefore;
});

const fixture = RAUC_STATUS_FIXTURE;
const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

function fakeRauc(body: string): void {
  process.env.PATH = `${raucBin(body)}:${pathBefore}`;
}

const setUpBox = (version: string) =>
  statusBox(version, { dns: { servers: ['9.9.9.9'] }, ntp: 'none', unattendedUpgrades: false });

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
