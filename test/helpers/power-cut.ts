/**
 * What a power cut keeps, read from the program's own system calls: a `kill -9` cannot show it
 * (the kernel still writes what the process wrote), so the real program runs under `strace -f -y`
 * (each descriptor named by its file) and a test asks what was fsync'ed before the call that
 * commits a state (test/pkg/power-cut, test/setup/apply-power-cut).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { blueprintExe, tempDir } from './pkg.js';

export const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** The fsync'ed and fdatasync'ed paths of these strace lines (`fdatasync(23</path/of/it>) = 0`). */
export const synced = (lines: string[]): Set<string> =>
  new Set(
    lines
      .map((l) => /\b(?:fsync|fdatasync)\(\d+<([^>]+)>/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined),
  );

/**
 * Runs the program to its end under strace (fsync, fdatasync, renames and the calls `also` names);
 * its stdout and every line of the trace. It must end with 0.
 */
export function trace(args: string[], also: string[] = []): { stdout: string; lines: string[] } {
  const log = path.join(tempDir(), 'strace.log');
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-y',
      '-qq',
      '-e',
      `trace=${['fsync', 'fdatasync', 'rename', 'renameat', 'renameat2', ...also].join(',')}`,
      '-o',
      log,
      blueprintExe,
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, lines: readFileSync(log, 'utf8').split('\n') };
}

/**
 * Runs the program under strace; its lines (fsync, fdatasync, renames and the calls `also` names)
 * before its first rename onto `committed` (a path, or a pattern of the rename's line), which must
 * happen. With -f a call another thread interrupts is split ('<unfinished ...>', '<... resumed>'):
 * judged by where it starts; the program ended with 0, so none failed.
 */
export function traceUntil(args: string[], committed: string | RegExp, also: string[] = []): string[] {
  const { lines } = trace(args, also);
  const commit = lines.findIndex(
    (l) =>
      /\brename/.test(l) &&
      (typeof committed === 'string' ? l.includes(`"${committed}"`) : committed.test(l)),
  );
  expect(commit, `the rename onto ${committed}`).toBeGreaterThan(0);
  return lines.slice(0, commit);
}

/**
 * Runs the program under strace, which kills it (SIGKILL: as an OOM kill or a power cut leaves the
 * files) at its `when`-th rename: what a command left between writing a file and renaming it into
 * place. The program must not have ended well.
 */
export function killedAtRename(args: string[], opts: { env?: NodeJS.ProcessEnv; when?: number } = {}) {
  const killed = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-o',
      '/dev/null',
      '-e',
      'trace=rename,renameat,renameat2',
      '-e',
      `inject=rename,renameat,renameat2:signal=KILL:when=${opts.when ?? 1}`,
      blueprintExe,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, ...(opts.env ? { env: opts.env } : {}) },
  );
  expect(killed.signal ?? killed.status, killed.stderr).not.toBe(0);
  return killed;
}

/** The PID of a process that has ended (`true`, waited for): a dead writer's, for planted files. */
export async function deadPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}
