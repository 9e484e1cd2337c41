/**
 * `-q, --quiet: Only print errors` (blueprint --help). `service start`, `stop`, `restart` and
 * `rotate-tokens` printed what they did anyway ('hello 1.0.0 started, healthy after 80 ms'), as
 * `pkg install` and `model import` do not. Now nothing; --json still prints the result. `service
 * token` with -q prints only what a script needs: the new token (nothing for --stdin or --remove).
 * Real box, real Podman: the hello module renamed, built, signed, installed and started.
 * `apply -f` and `setup --answers` ('23 change(s) applied to ...') and `module new` ('created module
 * ...' and its files) printed theirs too; now nothing (setup's recovery key, shown once, stays).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bpkg, run } from '../helpers/pkg.js';
import { helloPackageRoot, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const name = uniqueName('bpt-quiet');
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
let root: string | undefined;
const bp = (...args: string[]) => run(['--root', root!, ...args], { env });

afterAll(async () => {
  if (root) await bpkg(root, ['remove', '--yes', name], env);
});

describe('-q on service commands', () => {
  it('start, restart, stop: nothing on stdout or stderr; --json still answers', async () => {
    // Told where a token is (hello itself reads none, and `service token` refuses a module that
    // cannot: token-module-reads-none); only what the commands print is judged here.
    const service = { env: { HELLO_TOKEN_FILE: '/var/lib/hello/access-token' } };
    root = (await helloPackageRoot(name, env, undefined, service)).root;
    expect((await bpkg(root, ['--yes', 'install', name], env)).code).toBe(0);
    for (const cmd of ['start', 'restart', 'stop']) {
      const r = await bp('-q', 'service', cmd, name);
      expect(r.code, r.stderr).toBe(0);
      expect({ cmd, out: r.stdout, err: r.stderr }).toEqual({ cmd, out: '', err: '' });
    }
    const j = await bp('-q', '--json', 'service', 'stop', name);
    expect(JSON.parse(j.stdout)).toEqual({ name, stopped: false });
  });

  it('token: only the new token', async () => {
    const r = await bp('-q', 'service', 'token', name);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{16,}\n$/);
    const removed = await bp('-q', 'service', 'token', name, '--remove');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('');
  });
});

describe('-q on apply and module new', () => {
  it('apply -f: nothing; --json still answers', async () => {
    const dir = tempDir('bp-quiet-apply-');
    const box = path.join(dir, 'root');
    mkdirSync(box);
    const file = path.join(dir, 'appliance.yaml');
    writeFileSync(file, 'hostname: box-q\n');
    const r = await run(['--root', box, '-q', 'apply', '-f', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: '', err: '' });
    const j = await run(['--root', box, '-q', '--json', 'apply', '-f', file], { env });
    expect(JSON.parse(j.stdout)).toMatchObject({ changed: [] });
  });

  it('module new: nothing', async () => {
    const dir = path.join(tempDir('bp-quiet-new-'), 'm');
    const r = await run(['-q', 'module', 'new', 'quiet-one', '--dir', dir], { env });
    expect(r.code, r.stderr).toBe(0);
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: '', err: '' });
  });
});
