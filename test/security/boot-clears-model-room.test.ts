/**
 * REVIEW9: the model room's account (var/lib/blueprint/model-room.json, core/models/upload-room.ts)
 * holds only the room promised to uploads and imports in flight, yet the image kept it across a
 * reboot while its tmpfiles.d cleared the locks and the partial uploads beside it. An entry naming
 * its boot (30eccd5c) is dead in the next one, but one naming none is judged by its pid and start
 * tick alone: an older version's (written before the upgrade's reboot) and a writer's whose /proc
 * did not say (a time namespace of its own: pid alone). After a power cut mid-upload, the next boot
 * gives the pid to another daemon, at the same tick as often as not (services boot in the same
 * order), and its room stayed held for as long as that daemon ran: imports and uploads refused for
 * room that was free. No process of this boot can hold a promise yet, so the image now removes the
 * account at boot with the locks (systemd-tmpfiles-setup: --remove --boot), as the tool itself runs
 * it here; the other state files stay.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { promisedIn } from '../../src/core/models/upload-room.js';
import { layout } from '../../src/core/system/paths.js';
import { clearAsAtBoot } from '../helpers/boot-tmpfiles.js';
import { startOf } from '../helpers/proc-identity.js';
import { tempDir } from '../setup/temp-registry.js';

it("removes at boot the model room's account, whose entries of the last boot a reused pid kept alive", async () => {
  const tree = tempDir('bp-boot-room-');
  const paths = layout(tree);
  mkdirSync(paths.stateDir, { recursive: true });
  // The test runner's parent stands for the daemon the next boot gave the dead writers' pid.
  const pid = process.ppid;
  const held = [
    // An older version's entry: no boot named, the daemon's very start tick.
    { id: randomUUID(), pid, start: startOf(pid), bytes: 1000 },
    // A writer that judged no start (its time namespace shifted the boot time): the pid alone.
    { id: randomUUID(), pid, start: '', bytes: 20 },
  ];
  writeFileSync(path.join(paths.stateDir, 'model-room.json'), JSON.stringify({ held }), { mode: 0o600 });
  const kept = path.join(paths.stateDir, 'pkg/installed.json');
  mkdirSync(path.dirname(kept), { recursive: true });
  writeFileSync(kept, '{}');
  // As it was: both still held room in the new boot.
  expect(await promisedIn(paths)).toBe(1020);

  clearAsAtBoot(tree);
  expect(await promisedIn(paths)).toBe(0);
  expect(existsSync(path.join(paths.stateDir, 'model-room.json'))).toBe(false);
  expect(existsSync(kept)).toBe(true);
});
