import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';

/**
 * Opening some files acts: an open of /dev/watchdog arms the watchdog (closed without its magic
 * word, the box reboots), a serial line raises DTR, a tape rewinds at close, a FIFO's writer goes
 * on. The files an admin names (`model import FILE`, `bpkg install ./x.bpkg`, `system update
 * FILE`, `setup --answers FILE`, `apply -f FILE`, `rag ingest FILE`) were judged a regular file
 * only after open(2) had run on them, or by a stat(2) of the name before an open of the name,
 * which a link swapped in between defeats: a link at such a name in a folder another user owns (a
 * USB stick mounted with its device nodes, a home folder) had root open a device of their choice.
 * Now the file is opened O_PATH (no driver's open, no FIFO wake-up), judged on that descriptor,
 * and only a regular file is opened for reading, through /proc/self/fd (the same inode).
 *
 * A FIFO with a writer waiting in open(2) stands in for the device: the writer goes on when, and
 * only when, the FIFO is opened for reading.
 */
const swap = vi.hoisted(() => ({ at: '', to: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const fs = await import('node:fs');
  // After the stat of `swap.at`, its name is replaced by a link to `swap.to`: the race, won.
  const stat = async (...a: Parameters<typeof real.stat>) => {
    const st = await real.stat(...a);
    if (swap.at && String(a[0]) === swap.at) {
      fs.rmSync(swap.at);
      fs.symlinkSync(swap.to, swap.at);
      swap.at = '';
    }
    return st;
  };
  return { ...real, stat, default: { ...real, stat } };
});

const dir = mkdtempSync(join(tmpdir(), 'bp-open-judged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A FIFO whose writer waits in open(2); `released()` says whether something opened it for reading. */
async function waitingFifo() {
  const fifo = join(dir, `device-${n++}`);
  execFileSync('mkfifo', [fifo]);
  const { open } = await import('node:fs/promises');
  let opened = false;
  const writer = open(fifo, 'w').then((h: FileHandle) => {
    opened = true;
    return h;
  });
  return {
    fifo,
    /** Whether the writer went on: it does at once when the FIFO is opened; given a second to say so. */
    async released() {
      await Promise.race([writer, delay(1000)]);
      return opened;
    },
    async end() {
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      closeSync(fd);
    },
  };
}

describe('a file an admin names is judged before it is opened', () => {
  it('model import: a link to a device (here a FIFO) is refused without opening it', async () => {
    const w = await waitingFifo();
    const link = join(dir, 'stick', 'model.gguf');
    mkdirSync(join(dir, 'stick'));
    symlinkSync(w.fifo, link);
    const root = join(dir, 'root-import');
    mkdirSync(root);
    try {
      const r = await runCliHere(['--root', root, 'model', 'import', link, '--name', 'tiny']);
      expect(r.err).toContain('is not a regular file');
      expect(r.code).not.toBe(0);
      expect(await w.released(), 'the FIFO was opened for reading').toBe(false);
    } finally {
      await w.end();
    }
  });

  it('setup --answers / apply -f: a link swapped in after the stat is not opened', async () => {
    const { readSetupFile } = await import('../../src/core/setup/keys.js');
    const w = await waitingFifo();
    const file = join(dir, 'answers.yaml');
    writeFileSync(file, 'hostname: box\n');
    Object.assign(swap, { at: file, to: w.fifo });
    try {
      await expect(readSetupFile(file, 'hint')).rejects.toThrow(/not a regular file/);
      expect(swap.at, 'the swap ran').toBe('');
      expect(await w.released(), 'the FIFO was opened for reading').toBe(false);
    } finally {
      await w.end();
    }
  });

  it('rag ingest FILE: a link swapped in after the file was found is not opened', async () => {
    const { collectFiles, readFound } = await import('../../src/core/system/walk.js');
    const w = await waitingFifo();
    const file = join(dir, 'notes.md');
    writeFileSync(file, '# notes\n');
    try {
      const { files } = await collectFiles([file], ['.md']);
      expect(files).toHaveLength(1);
      // The race, won: between the walk and the read, the name becomes a link to the device.
      rmSync(file);
      symlinkSync(w.fifo, file);
      await expect(readFound(files[0]!, 1024 * 1024)).rejects.toThrow(/replaced/);
      expect(await w.released(), 'the FIFO was opened for reading').toBe(false);
    } finally {
      await w.end();
    }
  });

  it('a regular file is still read, through a link where links are followed', async () => {
    const { readBoundedFile } = await import('../../src/core/system/read-bounded.js');
    const target = join(dir, 'plain.txt');
    writeFileSync(target, 'plain');
    const link = join(dir, 'plain-link.txt');
    symlinkSync(target, link);
    const followed = await readBoundedFile(link, 100, { followLink: true });
    expect(followed.ok && followed.bytes.toString()).toBe('plain');
    const refused = await readBoundedFile(link, 100);
    expect(refused.ok === false && refused.why === 'open' && refused.error.code).toBe('ELOOP');
    const direct = await readBoundedFile(target, 100);
    expect(direct.ok && direct.bytes.toString()).toBe('plain');
  });
});
