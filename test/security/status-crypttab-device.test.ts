/**
 * `blueprint --root TREE status` reads TREE/etc/crypttab as an untrusted file (status-root-
 * crypttab.test.ts), but the device its `data` line names was handed to `cryptsetup luksDump` as
 * root, whatever it was: a FIFO the tree names (by its absolute path, or through a link) was opened
 * by cryptsetup, which waited there for a writer for good, and status with it (SIGTERM did not end
 * it: the command waits for its child). Now only a block device, judged where its links lead, is
 * read as the data partition; anything else is not opened, and crypttab alone says what boot does.
 * The real executable and the real cryptsetup (on PATH as on a box: /usr/sbin).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const hasCryptsetup = (() => {
  try {
    execFileSync('sh', ['-c', 'PATH=/usr/sbin:/sbin:$PATH command -v cryptsetup']);
    return true;
  } catch {
    return false;
  }
})();

/**
 * A FIFO with a writer waiting in open(2), again after each meeting: whatever opens it for reading
 * (cryptsetup opens a device more than once) is let through at once and sees its end (the writer
 * closes), so a command that opens it ends all the same; `opened` says whether anything did.
 * `end()` releases the writer still waiting.
 */
function watchedFifo(file: string) {
  execFileSync('mkfifo', [file]);
  let opens = 0;
  let ended = false;
  const writer = (async () => {
    while (!ended) {
      const h = await open(file, 'w');
      if (!ended) opens++;
      await h.close();
    }
  })();
  return {
    opened: () => opens > 0,
    async end() {
      ended = true;
      const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      await writer;
      closeSync(fd);
    },
  };
}

describe.skipIf(!hasCryptsetup)('status of a root: the device its crypttab names', () => {
  for (const how of ['the FIFO itself', 'a link to a FIFO'] as const)
    it(`${how} is not opened as the data partition`, async () => {
      const root = tempDir('bp-status-ct-dev-');
      mkdirSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'x'));
      const fifo = watchedFifo(path.join(root, 'x/fifo'));
      let named = path.join(root, 'x/fifo');
      if (how === 'a link to a FIFO') {
        named = path.join(root, 'x/disk');
        symlinkSync(path.join(root, 'x/fifo'), named);
      }
      writeFileSync(path.join(root, 'etc/crypttab'), `data ${named} none luks\n`);
      try {
        const r = await run(['--root', root, 'status'], {
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        });
        expect(r.code, r.stderr).toBe(0);
        // Before: cryptsetup luksDump opened it (and, with no writer, waited there for good).
        expect(fifo.opened(), 'the FIFO was opened for reading').toBe(false);
        // What boot does is still said, from crypttab alone.
        expect(r.stdout).toMatch(/data partition.*: encrypted \(LUKS2\)/);
      } finally {
        await fifo.end();
      }
    });
});
