/**
 * `blueprint system status` on a box without A/B slots (no RAUC, or RAUC with no system.conf)
 * failed (exit 1, or 3 with no `rauc`), showing nothing, although the running system's version was
 * readable. It now shows what it can read, says the update slots are unavailable and why, with
 * what to check, and exits 0; --json says so in `slotsAvailable: false` and `slotsUnavailable`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

const pathBefore = process.env.PATH;
afterEach(() => {
  process.env.PATH = pathBefore;
});

function box(version?: string): string {
  const root = tempDir('bp-sys-status-');
  if (version) {
    mkdirSync(path.join(root, 'usr/lib/blueprint'), { recursive: true });
    writeFileSync(path.join(root, 'usr/lib/blueprint/system-version'), `${version}\n`);
  }
  return root;
}

describe('system status without A/B slots', () => {
  it.each([
    ['RAUC has no system.conf for this root', () => {}],
    [
      '`rauc` is not installed',
      () => {
        process.env.PATH = tempDir('bp-empty-path-');
      },
    ],
  ])('%s: version shown, slots unavailable with a hint, exit 0', async (_, setup) => {
    setup();
    const root = box('1.4.2');
    const r = await runCliHere(['--root', root, 'system', 'status']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('version 1.4.2');
    expect(r.out).toMatch(/update slots: unavailable \(this box has no A\/B slots: /i);
    expect(r.out).not.toContain('Failed to initialize context');
    expect(r.out).toMatch(/hint: .*build-image\.sh --ab/);
    const json = await runCliHere(['--root', root, '--json', 'system', 'status']);
    expect(json.code, json.err).toBe(0);
    const st = JSON.parse(json.out);
    expect(st).toMatchObject({
      version: '1.4.2',
      slotsAvailable: false,
      slotsAbsent: true,
      slots: [],
      booted: null,
    });
    expect(st.slotsUnavailable.code).toMatch(/^rauc-(missing|unavailable)$/);
    expect(st.slotsUnavailable.message).toMatch(/rauc/i);
    expect(st.slotsUnavailable.hint).toMatch(/build-image\.sh --ab/);
  });

  it('no version file either: the version is "unknown", still exit 0', async () => {
    const r = await runCliHere(['--root', box(), 'system', 'status']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/version unknown/);
  });
});
