/**
 * `blueprint --root DIR status` of a box's tree read DIR/etc/crypttab (and the TPM's and block
 * devices' sysfs files under it) with readFile: a FIFO there held status for good (SIGTERM
 * aborted nothing: the read sat in the thread pool), a link led out of the tree, and a file had no
 * bound. Now each is read as an untrusted file (system/read-bounded.ts: O_NONBLOCK, no link at the
 * name, a regular file of at most 1 MiB); one that is not is read as absent. The same for
 * etc/nftables.conf, which the exposure line reads (core/system/exposure.ts). The real executable.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

describe('status of a root: its etc/crypttab', () => {
  it('a FIFO, or a link to one, is not waited on: status ends and says not encrypted', async () => {
    const fifo = path.join(tempDir('bp-status-ct-fifo-'), 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const make of [(f: string) => symlinkSync(fifo, f), (f: string) => execFileSync('mkfifo', [f])]) {
      const root = tempDir('bp-status-ct-');
      mkdirSync(path.join(root, 'etc'));
      make(path.join(root, 'etc/crypttab'));
      // Before: readFile waited for a writer that never came (the test's time ran out).
      const r = await run(['--root', root, 'status']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('data partition: not encrypted');
    }
  }, 20_000);

  it('etc/nftables.conf a FIFO: status ends and says no firewall', async () => {
    const root = tempDir('bp-status-nft-');
    mkdirSync(path.join(root, 'etc'));
    execFileSync('mkfifo', [path.join(root, 'etc/nftables.conf')]);
    // Before: the exposure audit's readFile waited for a writer (the test's time ran out).
    const r = await run(['--root', root, 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('firewall none');
  }, 20_000);
});
