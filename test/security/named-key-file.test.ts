import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { blueprintExe, makeKey } from '../helpers/pkg.js';

/**
 * `bpkg key add FILE` and `repo rotate-key --new-key FILE` read the key file the admin names (from
 * a stick, a download folder) with a plain readFile: whatever the name is, or leads to, was opened
 * and read to its end. A FIFO held the command for good (and its writer went on when it was
 * opened), a device was opened (an open /dev/watchdog arms the watchdog) and /dev/zero was read
 * until the process ran out of memory. Setup's key files were already read as untrusted files
 * (readSetupFile: a regular file, at most 1 MiB); these two now are too.
 *
 * A FIFO with a writer waiting in open(2) stands in for the device.
 */
const dir = mkdtempSync(join(tmpdir(), 'bp-named-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function withWaitingFifo(run: (link: string) => Promise<{ code: number; err: string }>) {
  const fifo = join(dir, `device-${n}`);
  execFileSync('mkfifo', [fifo]);
  const stick = join(dir, `stick-${n++}`);
  mkdirSync(stick);
  const link = join(stick, 'publisher.asc');
  symlinkSync(fifo, link);
  let opened = false;
  const writer = open(fifo, 'w').then((h: FileHandle) => {
    opened = true;
    return h;
  });
  const command = run(link);
  // Whether the FIFO was opened for reading: the writer goes on at once when it is.
  await Promise.race([writer, delay(1000)]);
  const released = opened;
  // The writer closes (a command reading the FIFO then sees its end), then nothing is left waiting.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  await (await writer).close();
  closeSync(fd);
  return { released, result: await command };
}

describe('a key file named on the command line is read as an untrusted file', () => {
  it('bpkg key add: a link to a device (here a FIFO) is refused without opening it', async () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    const { released, result } = await withWaitingFifo((link) =>
      runCliHere(['--root', root, 'pkg', 'key', 'add', link, '--fingerprint', 'A'.repeat(40)]),
    );
    expect(released, 'the FIFO was opened for reading').toBe(false);
    expect(result.code).toBe(2);
    expect(result.err).toContain('not a regular file');
  });

  it('repo rotate-key --new-key: the same', async () => {
    const { released, result } = await withWaitingFifo((link) =>
      runCliHere(['repo', 'rotate-key', '--repo', dir, '--new-key', link, '--key', join(dir, 'no-key.asc')]),
    );
    expect(released, 'the FIFO was opened for reading').toBe(false);
    expect(result.code).toBe(2);
    expect(result.err).toContain('not a regular file');
  });

  it('a regular key file, named through a link, is still read and trusted', async () => {
    const root = join(dir, 'root-good');
    mkdirSync(root);
    const k = await makeKey(join(dir, 'key'));
    const link = join(dir, 'key-link.asc');
    symlinkSync(k.publicFile, link);
    const r = await runCliHere(['--root', root, 'pkg', 'key', 'add', link, '--fingerprint', k.fingerprint]);
    expect(r.code, r.err).toBe(0);
    const keys = await runCliHere(['--root', root, '--json', 'pkg', 'key', 'list']);
    expect(JSON.stringify(JSON.parse(keys.out)).toLowerCase()).toContain(k.fingerprint.toLowerCase());
  });

  it('bpkg key add -: standard input is held to the same 1 MiB (a pipe that never ends was read until memory ran out)', () => {
    const root = join(dir, 'root-stdin');
    mkdirSync(root);
    const r = spawnSync(
      blueprintExe,
      ['--root', root, 'pkg', 'key', 'add', '-', '--fingerprint', 'A'.repeat(40)],
      {
        input: Buffer.alloc(3 * 1024 * 1024, 'A'),
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('Cannot read standard input: larger than 1024 KiB');
  });
});
