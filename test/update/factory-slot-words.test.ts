// The factory image's slot once an update runs from the other one (QA14's walk, real RAUC:
// test/update/rauc-sandbox.ts). After 2.0.0 was installed into B and booted, `system status` said
// slot A, which still holds the image the box came with, had 'version none recorded (no update
// written to this slot)', as a slot never written reads, and `system rollback` answered 'Slot A
// (version -) boots next': the admin going back was told of nothing there. RAUC records no version
// for a slot it never wrote, so the words now say it is the factory image, its version not known.
import { expect, it } from 'vitest';
import { cliIn, raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const box = raucForSuite();

it.skipIf(missing)('status and rollback name the factory image in the slot not running', async () => {
  const fresh = await cliIn(box.root, 'system', 'status');
  // Slot B before any update: never written, so nothing in it.
  expect(fresh.out).toMatch(/slot B [^\n]*\n {4}version none recorded \(no update written to this slot\)/);
  expect((await cliIn(box.root, 'system', 'update', box.bundle('2.0.0'))).code).toBe(0);
  expect(await box.reboot()).toBe('B');

  const st = await cliIn(box.root, 'system', 'status');
  expect(st.code).toBe(0);
  expect(st.out).toMatch(
    /slot A [^\n]*\n {4}version not recorded: the factory image, the system this box came with\n/,
  );
  const back = await cliIn(box.root, 'system', 'rollback');
  expect(back.code).toBe(0);
  expect(back.out).toContain(
    'Slot A (version not recorded: the factory image, the system this box came with) boots next',
  );
  expect(back.out).not.toContain('version -');
});
