/**
 * A second Ctrl-C (or SIGTERM) always ends blueprint, even with a file read that never returns
 * (SEC's note: a FIFO where a file was expected, as a stale NFS mount or a hung device would do).
 * The first signal aborts the command, which waits for that read; the second wrote
 * "error: Interrupted by SIGTERM" and called process.exit, and exit() waits for libuv's thread
 * pool, one of whose threads sat in open() for good: the process stayed, its main thread in
 * futex_wait, until SIGKILL. Now, with file-system work in flight, once the exit handlers have
 * run, the process is replaced by one that exits with the same code (143). The real executable.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const root = tempDir('bp-stuck-read-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a read stuck on a FIFO: the second SIGTERM ends it, saying so', async () => {
  const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
  mkdirSync(path.dirname(db), { recursive: true });
  execFileSync('mkfifo', [db]);
  const child = spawn(blueprintExe, ['--root', root, 'pkg', 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b) => {
    err += b;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await sleep(2_000); // started, and blocked in the read
    child.kill('SIGTERM');
    await sleep(500);
    child.kill('SIGTERM');
    const r = await Promise.race([ended, sleep(8_000).then(() => 'still running' as const)]);
    expect(r).not.toBe('still running');
    expect(r).toEqual({ code: 143, signal: null });
    expect(err).toContain('error: Interrupted by SIGTERM');
  } finally {
    child.kill('SIGKILL');
  }
}, 20_000);
