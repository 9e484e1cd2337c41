import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { blueprintExe } from './pkg.js';

/**
 * `blueprint --root ROOT dashboard --no-token` started from the built executable; resolves once it
 * says 'Dashboard on' (its socket has its final owner and mode by then), with what it said so far.
 * The child goes into `children` for the test's afterEach to kill.
 */
export async function startDashboardExe(
  root: string,
  children: ChildProcess[],
  /** Its options: `[]` prints the ssh line and a login link. */
  options: string[] = ['--no-token'],
): Promise<{ child: ChildProcess; said: () => string }> {
  const child = spawn(blueprintExe, ['--root', root, 'dashboard', ...options], {
    env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let said = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`dashboard exited ${code}: ${said}`)));
    const check = (d: Buffer) => {
      said += d;
      if (said.includes('Dashboard on')) resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
  });
  return { child, said: () => said };
}
