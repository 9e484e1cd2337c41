import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run, tempDir } from '../helpers/pkg.js';
import { helloSource, uniqueName } from './helpers.js';

/**
 * issue 19: the hosts an outbound module may reach are what the admin approves at install, and
 * `bpkg --json install` says them. Through the built executable, a signed repository and Podman.
 */
const name = uniqueName('bpt-out-pkg');
const work = tempDir('bp-out-pkg-');
const root = path.join(work, 'root');
let installed = false;
afterAll(async () => {
  if (installed) await bpkg(root, ['--yes', 'remove', name]);
  await rm(work, { recursive: true, force: true });
});

const json = async (args: string[]) => {
  const r = await run(['--json', ...args]);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
};

describe('bpkg install of an outbound module (built executable)', () => {
  it('refuses without --yes naming the hosts; with it, --json lists the approved hosts', async () => {
    const src = path.join(work, name);
    await cp(helloSource, src, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(src, 'manifest.json'), 'utf8'));
    manifest.name = name;
    manifest.service.network = 'outbound';
    manifest.service.outbound = ['api.example.org:443', '192.0.2.1:8080'];
    manifest.service.justification = { ...manifest.service.justification, network: 'talks to its API' };
    await writeFile(path.join(src, 'manifest.json'), JSON.stringify(manifest));
    const key = await json(['repo', 'keygen', '--out', path.join(work, 'key')]);
    const repo = path.join(work, 'repo');
    await json(['repo', 'build', src, '--repo', repo, '--key', path.join(work, 'key/signing-key.asc')]);
    const pub = path.join(work, 'key/signing-key.pub.asc');
    await json(['--root', root, 'pkg', 'key', 'add', pub, '--fingerprint', key.fingerprint]);
    await json(['--root', root, 'pkg', 'repo', 'add', 'test', repo]);
    await json(['--root', root, 'pkg', 'update']);

    const refused = await run(['--root', root, '--json', 'pkg', 'install', name]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('api.example.org:443, 192.0.2.1:8080');

    const done = await json(['--root', root, '--yes', 'pkg', 'install', name]);
    installed = true;
    expect(done.changes).toEqual([
      expect.objectContaining({ name, outbound: ['api.example.org:443', '192.0.2.1:8080'] }),
    ]);
  }, 240_000);
});
