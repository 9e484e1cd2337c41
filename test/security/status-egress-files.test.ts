/**
 * `blueprint --root TREE status` (an image mounted to inspect; the tree may be anyone's) shows what
 * the box lets out since b6444174, from TREE/etc/blueprint/network.json (the stored choices) and
 * each TREE/etc/blueprint/repos.d/*.json, read with readFile: a FIFO at either name held status for
 * good, SIGTERM included (`timeout` could not end it); a link was followed wherever it led. The class
 * status-tree-fifos closed for the files status read before. Now each is read as the file itself
 * (read-bounded.ts: no link followed, no FIFO waited on, 1 MiB at most). The real executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';
import { statusBox } from '../helpers/status-box.js';

const network = { allow: ['api.example.org:443'], ntp: 'none' };

const status = (root: string) =>
  spawnSync(blueprintExe, ['--root', root, 'status'], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: { PATH: '/usr/bin:/bin', HOME: root, BLUEPRINT_RAUC_TIMEOUT_MS: '1000' },
  });

const mkfifo = (file: string) => expect(spawnSync('mkfifo', [file]).status).toBe(0);

describe('status of a tree: the egress files', () => {
  it('a FIFO at network.json does not hold status', () => {
    const root = statusBox('1.0.0', network);
    const file = path.join(root, 'etc/blueprint/network.json');
    spawnSync('rm', [file]);
    mkfifo(file);
    const r = status(root);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.stdout).toMatch(/egress: default deny; allowed out unknown \(.*network\.json/);
  });

  it("a link at network.json is not followed: the tree's egress is unknown, not another file's", () => {
    const root = statusBox('1.0.0', network);
    const other = path.join(tempDir('bp-status-egress-'), 'network.json');
    writeFileSync(other, JSON.stringify({ network: { allow: ['elsewhere.example.net:443'] } }));
    const file = path.join(root, 'etc/blueprint/network.json');
    spawnSync('rm', [file]);
    symlinkSync(other, file);
    const r = status(root);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('elsewhere.example.net');
    expect(r.stdout).toMatch(/allowed out unknown/);
  });

  it('a FIFO among repos.d does not hold status; the choices are shown as before', () => {
    const root = statusBox('1.0.0', network);
    mkdirSync(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
    mkfifo(path.join(root, 'etc/blueprint/repos.d/main.json'));
    const r = status(root);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.stdout).toMatch(/egress: default deny; .*api\.example\.org:443/);
  });

  it("a FIFO at the box's AWS config (an s3:// repository's region) does not hold status", () => {
    // The S3 endpoint an s3:// repository is let out to comes from ETC/aws/config, which was read
    // with readFile: a FIFO there held status for good.
    const root = statusBox('1.0.0', network);
    mkdirSync(path.join(root, 'etc/blueprint/repos.d'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/blueprint/repos.d/s3.json'),
      JSON.stringify({ name: 's3', url: 's3://bp-bucket/main' }),
    );
    mkdirSync(path.join(root, 'etc/blueprint/aws'));
    mkfifo(path.join(root, 'etc/blueprint/aws/config'));
    const r = status(root);
    expect(r.signal, 'killed after 20 s: it hung').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/egress: default deny; .*api\.example\.org:443/);
  });
});
