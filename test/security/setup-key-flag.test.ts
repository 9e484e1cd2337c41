import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { sshPublicKey, tempRoot } from '../setup/helpers.js';

/**
 * `blueprint setup --key FILE` reads the admin's .pub file. It was read with a plain readFileSync:
 * a FIFO there held setup for good, /dev/zero read until memory ran out. It is now read as the
 * files an answers file names are (core/setup/keys.ts readSetupFile): a regular file of at most
 * 1 MiB, judged by name before it is opened, or a usage error that names it.
 */
let dir: string;
let root: string;
const cleanups: (() => Promise<void>)[] = [];
const fifos: string[] = [];
beforeEach(async () => {
  const a = await tempRoot('key-flag');
  const b = await tempRoot('key-flag-root');
  dir = a.root;
  root = b.root;
  cleanups.push(a.cleanup, b.cleanup);
});
afterEach(async () => {
  vi.restoreAllMocks();
  // Lets a read that waited on a FIFO (before the fix) finish, so the test file can end.
  for (const f of fifos.splice(0)) {
    const w = await open(f, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
    await w?.close();
  }
  for (const c of cleanups.splice(0)) await c();
});

/** `blueprint --root ROOT --json setup --dry-run ARGS`: exit code and its JSON, or 'hung' after 5 s. */
async function setupDryRun(...args: string[]): Promise<unknown> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    out += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const run = runCli(
    ['--root', root, '--json', 'setup', '--dry-run', '--hostname', 'box', ...args],
    'blueprint',
  );
  const timer = new Promise((resolve) => setTimeout(() => resolve('hung'), 5000).unref());
  const code = await Promise.race([run, timer]);
  return code === 'hung' ? code : { code, json: JSON.parse(out) };
}

describe('setup --key FILE', () => {
  it('a FIFO is refused by name, not waited on', async () => {
    const f = path.join(dir, 'id.pub');
    execFileSync('mkfifo', [f]);
    fifos.push(f);
    // A writer that comes and goes after 3 s: a read that waits on the FIFO (a synchronous one
    // blocks this whole process) then ends with nothing instead of hanging the test run.
    spawn('sh', ['-c', `sleep 3; : > '${f}'`], { stdio: 'ignore' }).unref();
    const r = await setupDryRun('--key', f);
    expect(r).toMatchObject({ code: 2, json: { error: { code: 'usage' } } });
    expect((r as { json: { error: { message: string } } }).json.error.message).toMatch(
      new RegExp(`${f}.*not a regular file`),
    );
  });

  it('/dev/zero is refused, not read', async () => {
    const r = await setupDryRun('--key', '/dev/zero');
    expect(r).toMatchObject({ code: 2, json: { error: { code: 'usage' } } });
  });

  it('a real .pub file still gives the admin its key (control)', async () => {
    const f = path.join(dir, 'id.pub');
    await writeFile(f, `${sshPublicKey('admin@laptop')}\n`);
    const r = await setupDryRun('--key', f, '--ssh'); // SSH on: off would need a console password
    expect(r).toMatchObject({ code: 0 });
    expect((r as { json: { changes: { what: string }[] } }).json.changes).toContainEqual(
      expect.objectContaining({ what: 'SSH keys of admin (1)' }),
    );
  });
});
