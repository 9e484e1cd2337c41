/**
 * A second Ctrl-C (or SIGTERM) always ends blueprint, even with a file read that never returns
 * (SEC's note: a stale NFS mount or a hung device). The first signal aborts the command, which
 * waits for that read; the second wrote "error: Interrupted by SIGTERM" and called process.exit,
 * and exit() waits for libuv's thread pool, one of whose threads sat in open() for good: the
 * process stayed, its main thread in futex_wait, until SIGKILL. Now, with file-system work in
 * flight, once the exit handlers have run, the process is replaced by one that exits with the same
 * code (143). The real executable.
 *
 * The hung mount cannot exist here, so a preloaded shim stands in for it: open() of one path never
 * returns (a FIFO did before, but the box's state files are no longer opened as one waits on it:
 * test/security/root-tree-owner). Built with gcc, which scripts/setup-host.sh installs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const root = tempDir('bp-stuck-read-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A shared object whose open/open64/openat of $STUCK_PATH block for good, as on a hung mount. */
function hungOpenShim(dir: string): string {
  const src = path.join(dir, 'hung-open.c');
  const so = path.join(dir, 'hung-open.so');
  writeFileSync(
    src,
    `#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void hang(const char *p) {
  const char *s = getenv("STUCK_PATH");
  if (s && p && strcmp(p, s) == 0) for (;;) pause();
}
#define MODE(flags) mode_t mode = 0; if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
int open(const char *p, int flags, ...) { MODE(flags) hang(p); int (*real)(const char *, int, mode_t) = dlsym(RTLD_NEXT, "open"); return real(p, flags, mode); }
int open64(const char *p, int flags, ...) { MODE(flags) hang(p); int (*real)(const char *, int, mode_t) = dlsym(RTLD_NEXT, "open64"); return real(p, flags, mode); }
int openat(int d, const char *p, int flags, ...) { MODE(flags) hang(p); int (*real)(int, const char *, int, mode_t) = dlsym(RTLD_NEXT, "openat"); return real(d, p, flags, mode); }
`,
  );
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', so, src, '-ldl']);
  return so;
}

it('a read stuck in open(): the second SIGTERM ends it, saying so', async () => {
  const db = path.join(root, 'var/lib/blueprint/pkg/installed.json');
  mkdirSync(path.dirname(db), { recursive: true });
  writeFileSync(db, JSON.stringify({ format: 1, txid: '', packages: {} }));
  const shim = hungOpenShim(tempDir('bp-stuck-shim-'));
  const child = spawn(blueprintExe, ['--root', root, 'pkg', 'list'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LD_PRELOAD: shim, STUCK_PATH: db },
  });
  let err = '';
  let out = '';
  child.stderr.on('data', (b) => {
    err += b;
  });
  child.stdout.on('data', (b) => {
    out += b;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    // Started, and blocked in the open: nothing answered (a list would have been printed).
    expect(await Promise.race([ended, sleep(2_000).then(() => 'blocked' as const)])).toBe('blocked');
    expect(out).toBe('');
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
