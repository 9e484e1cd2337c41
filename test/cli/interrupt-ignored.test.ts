/**
 * A signal that lands in a command which took its abort signal but never looks at it during a slow
 * step (here `apply --dry-run`, planning while the box's etc/timezone is a FIFO that answers only
 * after the signal): the CLI's handler only aborted the signal, the command ran on to its end and
 * the process exited 0, as if no one had pressed Ctrl-C (`blueprint apply --dry-run && blueprint
 * apply` went on to apply). Now the exit code says it was interrupted (130 for SIGINT, 143 for
 * SIGTERM) with 'Interrupted by SIG…' on stderr; what it printed is whole (the plan, or with --json
 * its one document, never an error document after it). The real executable.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { planWaitingOnFifo } from '../helpers/fifo-plan.js';
import { blueprintExe } from '../helpers/pkg.js';

async function signalledPlan(sig: 'SIGINT' | 'SIGTERM', json: boolean) {
  const { root, fifo, file } = await planWaitingOnFifo('bp-int-ignored-');
  const child = spawn(
    blueprintExe,
    ['--root', root, ...(json ? ['--json'] : []), 'apply', '--dry-run', '-f', file],
    { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  // The plan waits on the FIFO (opened for reading, nobody writing yet).
  await sleep(1500);
  child.kill(sig);
  await sleep(300);
  // Only now does the slow step end: the command finishes what it was doing.
  await writeFile(fifo, 'UTC\n');
  const code = await closed;
  clearTimeout(kill);
  return { code, out, err };
}

describe('a signal a command took but did not look at', () => {
  it('SIGTERM: exit 143, said on stderr; the plan it printed is whole', async () => {
    const r = await signalledPlan('SIGTERM', false);
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('error: Interrupted by SIGTERM');
    expect(r.err).toMatch(/^hint: .*ran to its end/m);
    expect(r.out).toContain('etc/hostname');
    expect(r.out).toMatch(/^allowed out: /m); // its last line
  });

  it('Ctrl-C (SIGINT): exit 130', async () => {
    const r = await signalledPlan('SIGINT', false);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toContain('error: Interrupted by SIGINT');
  });

  it('--json: stdout is the plan, one document; the interruption on stderr and in the exit code', async () => {
    const r = await signalledPlan('SIGTERM', true);
    expect(r.code, r.err).toBe(143);
    expect(JSON.parse(r.out)).toMatchObject({ dryRun: true });
    expect(r.err).toContain('error: Interrupted by SIGTERM');
  });
});
