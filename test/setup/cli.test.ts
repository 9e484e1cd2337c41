import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { requireExe } from '../tui/tmux.js';
import { consolePasswordHash, sshPublicKey, tempRoot } from './helpers.js';

let root: string;
let work: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  requireExe();
  const a = await tempRoot('cli-root');
  const b = await tempRoot('cli-work');
  root = a.root;
  work = b.root;
  cleanups.push(a.cleanup, b.cleanup);
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const key = sshPublicKey('fleet@ops');

describe('blueprint setup --answers and apply -f through the executable', () => {
  it('fails with the field named and exit 2, before writing anything', async () => {
    const file = path.join(work, 'answers.yaml');
    await writeFile(
      file,
      `hostname: box\nadmin: { name: root, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\n`,
    );
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('admin.name: is a system account name');
    expect(r.stderr).toContain('hint:');
    expect(await readdir(root)).toEqual([]);
    const j = await run(['--root', root, '--json', 'setup', '--answers', file]);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'usage' });
  });

  it('prints the plan with --dry-run, applies, and changes nothing the second time', async () => {
    const file = path.join(work, 'answers.json');
    await writeFile(
      file,
      JSON.stringify({
        hostname: 'box-09',
        admin: { name: 'admin', keys: [key], passwordHash: consolePasswordHash() },
      }),
    );
    const dry = await run(['--root', root, '--json', 'setup', '--answers', file, '--dry-run']);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout).changes as { action: string; target: string }[];
    expect(planned).toContainEqual(expect.objectContaining({ action: 'create', target: 'etc/hostname' }));
    expect(await readdir(root)).toEqual([]);
    // What the firewall will let out, before anything is applied (issue 19).
    expect(JSON.parse(dry.stdout).egress).toContainEqual(
      expect.objectContaining({ purpose: 'updates', host: 'deb.debian.org', proto: 'tcp', port: 80 }),
    );

    const first = await run(['--root', root, '--json', 'setup', '--answers', file]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).changed.length).toBe(
      planned.filter((c) => c.action !== 'unchanged').length,
    );
    const again = await run(['--root', root, 'setup', '--answers', file]);
    expect(again.stdout).toContain('Nothing to change: the box already matches.');
    // SSH stays off unless asked: no unit link, and the firewall lets nothing new in.
    const rules = await readFile(path.join(root, 'etc/nftables.conf'), 'utf8');
    expect(rules.slice(rules.indexOf('chain input'), rules.indexOf('chain forward'))).not.toMatch(
      /tcp dport/,
    );
  });

  it('apply -f turns SSH on for a fleet description, idempotently', async () => {
    const file = path.join(work, 'appliance.yaml');
    await writeFile(
      file,
      [
        'hostname: edge-17',
        'timezone: UTC',
        'users:',
        `  - { name: ops, keys: ["${key}"] }`,
        `  - { name: viewer, admin: false, keys: ["${key}"] }`,
        'ssh: { enabled: true, port: 2200 }',
      ].join('\n'),
    );
    const r = await run(['--root', root, 'apply', '-f', file]);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(root, 'etc/group'), 'utf8')).toMatch(/^sudo:x:27:ops$/m);
    expect(await readFile(path.join(root, 'etc/sudoers.d/50-blueprint'), 'utf8')).toContain(
      'ops ALL=(ALL:ALL) NOPASSWD: ALL',
    );
    expect(await readFile(path.join(root, 'etc/ssh/sshd_config.d/50-blueprint.conf'), 'utf8')).toMatch(
      /^Port 2200$/m,
    );
    const dry = await run(['--root', root, 'apply', '-f', file, '--dry-run']);
    expect(dry.stdout).toContain('Nothing to change');
  });

  it('has --help for setup, apply and tui', async () => {
    for (const cmd of ['setup', 'apply', 'tui']) {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: blueprint ${cmd}`));
    }
  });
});

describe('blueprint setup with flags instead of a file', () => {
  it('names a missing answer, then sets the box up from flags', async () => {
    const missing = await run(['--root', root, 'setup', '--admin', 'ops', '--key', key]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Invalid setup flags: --hostname: is required');
    expect(await readdir(root)).toEqual([]);
    const pubFile = path.join(work, 'ops.pub');
    await writeFile(pubFile, `${key}\n`);
    const r = await run([
      '--root',
      root,
      'setup',
      '--hostname',
      'box-10',
      '--admin',
      'ops',
      '--key',
      pubFile,
      '--ssh',
    ]);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(root, 'home/ops/.ssh/authorized_keys'), 'utf8')).toBe(`${key}\n`);
    expect(await readFile(path.join(root, 'etc/hosts'), 'utf8')).toContain('127.0.1.1\tbox-10');
  });
});
