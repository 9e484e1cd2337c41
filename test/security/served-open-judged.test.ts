import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openServedSync } from '../../src/core/pkg/node-lazy.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * The quick `bpkg update` (update-fast.ts) opens a folder repository's index.json, its `.asc` and
 * the kept files through openServedSync. It opened the name for reading (O_NONBLOCK|O_NOFOLLOW)
 * and only then saw it was not a regular file: a device node at that name on a stick mounted with
 * its nodes (mount's default) was opened (an open /dev/watchdog arms the watchdog), a FIFO's
 * waiting writer went on. Now it is judged on an O_PATH descriptor first, as judgedOpen does
 * (0bfe401), and only a regular file is opened for reading. A FIFO with a writer waiting in
 * open(2) stands in for the device.
 */
describe('openServedSync judges the name before it opens it', () => {
  it('a FIFO at the name is refused without being opened (its writer still waits)', async () => {
    const fifo = path.join(tempDir('bp-served-'), 'index.json');
    execFileSync('mkfifo', [fifo]);
    let opened = false;
    const writer = open(fifo, 'w').then((h: FileHandle) => {
      opened = true;
      return h;
    });
    const served = openServedSync(fifo, 1 << 20);
    await Promise.race([writer, delay(500)]);
    const released = opened;
    // End the writer's wait either way, so the test ends.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    await (await writer).close();
    closeSync(fd);
    expect(served).toBeUndefined();
    expect(released, 'the FIFO was opened for reading').toBe(false);
  });

  it('a regular file is opened for reading; a link at the name (ELOOP before), a folder, one past max are not', () => {
    const dir = tempDir('bp-served-');
    const file = path.join(dir, 'index.json');
    writeFileSync(file, '{"ok":1}');
    const served = openServedSync(file, 1 << 20)!;
    expect(served.size).toBe(8);
    const buf = Buffer.alloc(16);
    expect(readSync(served.fd, buf, 0, 16, 0)).toBe(8);
    closeSync(served.fd);
    symlinkSync(file, path.join(dir, 'link.json'));
    expect(openServedSync(path.join(dir, 'link.json'), 1 << 20)).toBeUndefined();
    expect(openServedSync(dir, 1 << 20)).toBeUndefined();
    expect(openServedSync(file, 7)).toBeUndefined();
    expect(() => openServedSync(path.join(dir, 'missing.json'), 1 << 20)).toThrow(/ENOENT/);
  });
});
