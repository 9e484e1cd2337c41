/**
 * The model room's account (core/models/upload-room.ts) counts an upload's or import's promise only
 * while its process lives: its pid alive and its start time (/proc/PID/stat) the one it wrote. But
 * /proc shows start times shifted by the reader's time namespace, so a process whose boot time is
 * shifted (unshare --time --boottime) wrote a start no process outside ever sees for it, and one
 * reading from inside saw every other's start shifted: a live promise was judged a dead one's and
 * its room counted as free, so two imports together could pass the cache's reserve (the hole
 * lock.ts closed for its locks in 5c34ee3b). Now such a process names no start and judges none
 * (the pid alone, as lock.ts does).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { promise, promisedIn } from '../../src/core/models/upload-room.js';
import { layout } from '../../src/core/system/paths.js';
import { bundleChild, outputOf } from '../helpers/node-child.js';
import { canShiftBoot, killedAfterEach } from '../helpers/proc-identity.js';
import { tempDir } from '../setup/temp-registry.js';

/** A process that promises 1000 bytes of the room of the root at argv[2], says so, and holds them until killed. */
const HOLD = `import { promise } from './src/core/models/upload-room.ts';
import { layout } from './src/core/system/paths.ts';
await promise(layout(process.argv[2]), async () => 1000);
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;

/** A process that prints the bytes promised in the root at argv[2]. */
const READ = `import { promisedIn } from './src/core/models/upload-room.ts';
import { layout } from './src/core/system/paths.ts';
process.stdout.write(String(await promisedIn(layout(process.argv[2]))));`;

const kids = killedAfterEach();

it.skipIf(!canShiftBoot)(
  'a promise held in a time namespace of its own is counted by a process outside',
  async () => {
    const root = tempDir('model-room-timens-');
    const child = path.join(tempDir('model-room-timens-child-'), 'hold.mjs');
    await bundleChild(HOLD, child);
    const holder = spawn('unshare', ['--time', '--boottime', '1000', process.execPath, child, root], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    kids.push(holder);
    await new Promise((r) => holder.stdout!.once('data', r));
    expect(await promisedIn(layout(root))).toBe(1000);
  },
  60_000,
);

it.skipIf(!canShiftBoot)(
  'a process in a time namespace of its own counts a promise held outside',
  async () => {
    const root = tempDir('model-room-timens-');
    const paths = layout(root);
    const held = await promise(paths, async () => 1000);
    try {
      const reader = path.join(tempDir('model-room-timens-child-'), 'read.mjs');
      await bundleChild(READ, reader);
      expect(await outputOf(process.execPath, [reader, root])).toBe('1000');
      expect(
        await outputOf('unshare', ['--time', '--boottime', '1000', process.execPath, reader, root]),
      ).toBe('1000');
    } finally {
      await held.release();
    }
  },
  60_000,
);
