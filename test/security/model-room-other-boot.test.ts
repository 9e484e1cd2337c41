/**
 * The model room's account (var/lib/blueprint/model-room.json, core/models/upload-room.ts) is kept
 * across a reboot, and an entry was judged by its pid and start time alone (ticks since boot). A
 * box boots the same services in the same order, so after a power cut mid-upload the next boot may
 * give the dead entry's pid to another daemon started at the very same tick: its room was held for
 * as long as that daemon ran, and imports refused for room that was free. Now an entry names its
 * boot too (the kernel's boot id, as a lock's holder name does), and one of another boot is dead.
 * An entry without one (an older version's) is judged as before.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { promise, promisedIn } from '../../src/core/models/upload-room.js';
import { layout } from '../../src/core/system/paths.js';
import { bootId, startOf } from '../helpers/proc-identity.js';
import { tempDir } from '../setup/temp-registry.js';

const otherBoot = bootId.replace(/^./, (c) => (c === '0' ? '1' : '0'));

/** The account holding `held`, as the processes that wrote it left it. */
function account(held: object[]) {
  const paths = layout(tempDir('model-room-boot-'));
  mkdirSync(paths.stateDir, { recursive: true });
  writeFileSync(path.join(paths.stateDir, 'model-room.json'), JSON.stringify({ held }), { mode: 0o600 });
  return paths;
}

it("an entry of another boot is not counted, though its pid and start time are a live process's", async () => {
  // The test runner's parent as the daemon the next boot gave the dead entry's pid, at its start tick.
  const pid = process.ppid;
  const paths = account([{ id: randomUUID(), pid, start: startOf(pid), boot: otherBoot, bytes: 1000 }]);
  expect(await promisedIn(paths)).toBe(0);
});

it('an entry of this boot, and one naming no boot (an older version’s), of a live process are counted', async () => {
  const pid = process.ppid;
  const paths = account([
    { id: randomUUID(), pid, start: startOf(pid), boot: bootId, bytes: 1000 },
    { id: randomUUID(), pid, start: startOf(pid), bytes: 20 },
  ]);
  expect(await promisedIn(paths)).toBe(1020);
});

it('a promise names its boot', async () => {
  const paths = layout(tempDir('model-room-boot-'));
  const held = await promise(paths, async () => 5);
  try {
    const { held: list } = JSON.parse(readFileSync(path.join(paths.stateDir, 'model-room.json'), 'utf8'));
    expect(list).toMatchObject([{ pid: process.pid, start: startOf(process.pid), boot: bootId, bytes: 5 }]);
  } finally {
    await held.release();
  }
});
