/**
 * `repo build` of a module whose build.sh waits (it writes its own PID and its sleep's, then waits),
 * signalled once build.sh runs: what the executable answered, and what it left. For the tests of
 * the CLI's signal handling (cli/terminate-build, interrupt-uncooperative).
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../setup/temp-registry.js';
import { blueprintExe, makeKey, repoRoot } from './pkg.js';
import { until } from './until.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The executable started with `args` (`group`: as its own process group's leader, as a terminal's
 * command), its output gathered: `closed` is its exit code, or the signal that ended it.
 */
export function started(args: string[], env: NodeJS.ProcessEnv, group = false) {
  const child = spawn(blueprintExe, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: group });
  const b = {
    child,
    out: '',
    err: '',
    exited: false,
    closed: new Promise<number | NodeJS.Signals | null>((resolve) =>
      child.on('close', (code, signal) => {
        b.exited = true;
        resolve(code ?? signal);
      }),
    ),
  };
  child.stdout.on('data', (d) => (b.out += d));
  child.stderr.on('data', (d) => (b.err += d));
  return b;
}

/**
 * `repo build` of a module whose build.sh waits, ended by `sig` once build.sh runs: sent to
 * blueprint alone, or (`group`) to its process group, as a terminal sends its hangup.
 */
export async function signalledBuild(json: boolean, sig: NodeJS.Signals = 'SIGTERM', group = false) {
  const work = tempDir('bp-sig-build-');
  const src = path.join(work, 'slow');
  cpSync(path.join(repoRoot, 'modules/hello'), src, {
    recursive: true,
    filter: (f) => !f.includes('/rootfs'),
  });
  const pids = path.join(work, 'pids');
  const ended = path.join(work, 'ended');
  // It writes its own PID and its sleep's, waits, says it ended, and fails.
  writeFileSync(
    path.join(src, 'build.sh'),
    `#!/bin/sh\nsleep 300 &\necho "$$ $!" > '${pids}.new'\nmv '${pids}.new' '${pids}'\nwait\ntouch '${ended}'\nexit 1\n`,
  );
  chmodSync(path.join(src, 'build.sh'), 0o755);
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  const tmp = path.join(work, 'tmp');
  mkdirSync(tmp);
  const args = [...(json ? ['--json'] : []), 'repo', 'build', src, '--repo', repo, '--key', key.privateFile];
  const b = started(args, { ...process.env, TMPDIR: tmp }, group);
  const { child } = b;
  await until('build.sh runs (or the build ends first)', () => existsSync(pids) || b.exited, 45_000);
  if (!existsSync(pids)) throw new Error(`the build ended before build.sh ran: ${b.err}`);
  const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
  // Blueprint alone, as systemd's KillMode=process or `kill PID` would; or its terminal's group.
  if (group) process.kill(-child.pid!, sig);
  else child.kill(sig);
  const code = await b.closed;
  // Its children were sent their signal before it exited; they need a moment to go (on a loaded box,
  // up to 30 s: a group never signalled keeps its sleep for 300: `left` says so).
  await until('build.sh and its sleep are gone', () => !alive(shPid) && !alive(sleepPid)).catch(() => {});
  const left = { sh: alive(shPid), sleep: alive(sleepPid) };
  for (const pid of [shPid, sleepPid]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  return { code, out: b.out, err: b.err, left, tmpLeft: readdirSync(tmp), repo, ended: existsSync(ended) };
}
