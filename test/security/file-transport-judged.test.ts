import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStream } from '../../src/core/pkg/transport.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * A folder repository on a stick (`bpkg repo add usb /media/stick/main`, then `bpkg update` and
 * `bpkg install`): every index, signature and package file the slow paths read goes through the
 * file transport (transport.ts fileTransport). It opened the name for reading (O_NONBLOCK) and only
 * then looked at what it had opened: a device node at pool/x.bpkg on a stick mounted with its nodes
 * (mount's default for a stick put in by hand) was opened as root (an open /dev/watchdog arms the
 * watchdog: the box reboots), and a FIFO's waiting writer went on. The quick update's opener
 * (openServedSync) and openUntrusted judge on an O_PATH descriptor first (0bfe401); this one now
 * does too. A FIFO with a writer waiting in open(2) stands in for the device.
 */
describe('the file transport judges a served name before it opens it', () => {
  for (const form of ['path', 'file URL'] as const)
    it(`a FIFO at a package's name is refused without being opened (${form})`, async () => {
      const fifo = path.join(tempDir('bp-file-transport-'), 'x.bpkg');
      execFileSync('mkfifo', [fifo]);
      let opened = false;
      const writer = open(fifo, 'w').then((h: FileHandle) => {
        opened = true;
        return h;
      });
      const url = form === 'path' ? fifo : pathToFileURL(fifo).href;
      const served = await openStream(url).then(
        (o) => {
          o.body.destroy();
          return 'opened';
        },
        (err: Error) => err.message,
      );
      await Promise.race([writer, delay(500)]);
      const released = opened;
      // End the writer's wait either way, so the test ends.
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      closeSync(fd);
      expect(served).toMatch(/is not a regular file/);
      expect(released, 'the FIFO was opened for reading').toBe(false);
    });

  it('a regular file, and a link to one inside the repository, are still served', async () => {
    const dir = tempDir('bp-file-transport-');
    writeFileSync(path.join(dir, 'index.json'), '{"ok":1}');
    symlinkSync('index.json', path.join(dir, 'link.json'));
    for (const name of ['index.json', 'link.json']) {
      const o = await openStream(path.join(dir, name));
      const chunks: Buffer[] = [];
      for await (const c of o.body) chunks.push(c as Buffer);
      expect(o.length).toBe(8);
      expect(Buffer.concat(chunks).toString()).toBe('{"ok":1}');
    }
    await expect(openStream(path.join(dir, 'missing.json'))).rejects.toThrow(/not found/);
    await expect(openStream(dir)).rejects.toThrow(/is not a regular file/);
  });
});
