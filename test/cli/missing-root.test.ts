/**
 * A mistyped --root (`blueprint --root /mnt/imgae pkg list`): the commands answered as if an empty
 * box were there ('No packages installed', exit 0) and some made a new box tree at the typo (`pkg
 * clean` made var/lib/blueprint/pkg there), like neither dpkg --root nor apt -o Dir would. A root
 * that does not exist is now refused (exit 3, the fix in the hint) and nothing is made, except by
 * the commands that make a box (setup, apply, and the first steps of a new one: pkg key add, pkg
 * repo add, as `npm start` does): they go on, and say on stderr that they made a new box there.
 * The real executable, as a user runs it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyAddArgs } from '../helpers/key-add.js';
import { makeKey, run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';
const missing = () => path.join(tempDir('bp-noroot-'), 'imgae');

describe('--root that does not exist', () => {
  it.each(
    [
      ['pkg', 'list'],
      ['pkg', 'search', 'x'],
      ['pkg', 'update'],
      ['pkg', 'clean'],
      ['pkg', 'verify'],
      ['pkg', 'upgrade'],
      ['pkg', 'key', 'list'],
      ['service', 'list'],
      ['gpu'],
      ['rag', 'list'],
    ].map((argv) => [argv.join(' '), argv] as const),
  )('%s: not found (exit 3), what to do in the hint, nothing made', async (_, argv) => {
    const root = missing();
    const r = await run(['--root', root, ...argv]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: --root ${root} does not exist`);
    expect(r.stderr).toMatch(/hint: Check --root .*mkdir -p/);
    expect(existsSync(root)).toBe(false);
    const json = await run(['--root', root, '--json', ...argv]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'not-found',
      message: `--root ${root} does not exist`,
    });
    expect(existsSync(root)).toBe(false);
  });

  it('service status NAME: 4 (status unknown, as LSB), not 3, which scripts read as not running', async () => {
    const root = missing();
    const r = await run(['--root', root, 'service', 'status', 'hello']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`--root ${root} does not exist`);
    expect(existsSync(root)).toBe(false);
  });

  it('bpkg (the same executable as bpkg) says the same', async () => {
    const root = missing();
    const r = await run(['--root', root, 'list'], { argv0: 'bpkg' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`--root ${root} does not exist`);
    expect(existsSync(root)).toBe(false);
  });

  it('an empty folder is a new box: answered as before', async () => {
    const root = missing();
    mkdirSync(root);
    const r = await run(['--root', root, 'pkg', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('pkg key add makes the box, and says so on stderr', async () => {
    const key = await makeKey(path.join(tempDir('bp-noroot-key-'), 'key'));
    const root = missing();
    const r = await run(keyAddArgs(root, key));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${root} did not exist: a new box was made there`);
    expect(existsSync(root)).toBe(true);
    // --quiet: only errors.
    const quiet = missing();
    const q = await run(['-q', ...keyAddArgs(quiet, key)]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toBe('');
  });

  // They said 'a new box is made there', then failed: 'ENOENT: no such file or directory, open ROOT',
  // 'This is a bug in blueprint' (exit 1), the plan's first read opening the root that was not there.
  it.each([
    ['setup', (file: string) => ['setup', '--hostname', 'box-01', '--key', file, '--ssh']],
    ['apply -f', (file: string) => ['apply', '-f', file]],
  ] as const)('%s makes the box there, and --dry-run plans it without making it', async (cmd, argv) => {
    const dir = tempDir('bp-noroot-setup-');
    const key = path.join(dir, 'id.pub');
    writeFileSync(key, `${KEY}\n`);
    const spec = path.join(dir, 'box.yaml');
    writeFileSync(spec, `hostname: box-01\nusers: [{ name: ops, admin: true, keys: ["${KEY}"] }]\n`);
    const args = argv(cmd === 'setup' ? key : spec);
    const root = missing();
    const dry = await run(['--root', root, ...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/create +file +etc\/hostname/);
    expect(existsSync(root)).toBe(false);
    const r = await run(['--root', root, ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${root} did not exist: a new box was made there`);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('box-01\n');
    expect(existsSync(path.join(root, 'var/lib/blueprint/setup-done'))).toBe(true);
  });

  it('commands that do not use the box do not ask for it (module new)', async () => {
    const dir = path.join(tempDir('bp-noroot-mod-'), 'm1');
    const r = await run(['--root', missing(), 'module', 'new', 'm1', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
  });
});
