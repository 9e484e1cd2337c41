/**
 * A part of the box that cannot be read is shown as "not available: REASON" by the dashboard and
 * the console, and both showed only the error's message: on a box without A/B slots the System
 * screen and page said 'RAUC cannot answer: Failed to load system config …' with nothing to do,
 * where `blueprint system status` prints the same error with its hint ('Is this a box with A/B
 * slots (`scripts/build-image.sh --ab`)? …'). The reason now carries the error's hint, as the CLI
 * shows it, in both front ends; and the console's System screen escapes it like every other line.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { coreSources } from '../../src/tui/sources.js';
import { appOps } from '../../src/web/app-ops.js';
import { tempRoot } from '../setup/helpers.js';

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('unavail-hint'));
});
afterAll(async () => {
  await cleanup();
});

it("the dashboard's System page says what to do when the box has no A/B slots", async () => {
  const r = await appOps(root).system!();
  expect(r.available).toBe(false);
  if (r.available) return;
  expect(r.reason).toContain('this box has no A/B slots: RAUC has no configuration');
  expect(r.reason).toContain('scripts/build-image.sh --ab');
});

it("the console's System screen says what to do when the box has no A/B slots", async () => {
  const r = await coreSources(root).system!();
  expect(r.available).toBe(false);
  if (r.available) return;
  expect(r.reason).toContain('this box has no A/B slots: RAUC has no configuration');
  expect(r.reason).toContain('scripts/build-image.sh --ab');
});

it('gives the commands in that hint the root the front end was started on', async () => {
  const { carryRoot } = await import('../../src/present/root-in-hints.js');
  const { reasonOf } = await import('../../src/present/reason.js');
  const { BlueprintError } = await import('../../src/core/errors.js');
  carryRoot({ root: '/mnt/my box', typed: true });
  try {
    const reason = reasonOf(new BlueprintError('no repository', 'x', 'Run `bpkg update` first.'));
    expect(reason).toBe("no repository. Run `bpkg --root '/mnt/my box' update` first.");
  } finally {
    carryRoot(undefined);
  }
});
