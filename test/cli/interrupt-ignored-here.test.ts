/**
 * runCli itself says a signal its command took and ran past (test/cli/interrupt-ignored runs the
 * executable): the exit code came from src/main.ts, after runCli had returned 0, from module state
 * in cli/context.ts that no later command line reset. So a caller of runCli (the tests, in this
 * process) got 0 for an interrupted `apply --dry-run`, and once a command had answered its signal
 * (`service watch`, `logs -f`, the dashboard), every later command line in the process was taken
 * as answering its own. Now the state is the command line's, on its context, and runCli returns
 * 130/143 itself.
 */
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { planWaitingOnFifo } from '../helpers/fifo-plan.js';

/** `apply --dry-run` planning while the box's etc/timezone is a FIFO that answers after `sig`. */
async function signalledPlanHere(sig: 'SIGINT' | 'SIGTERM') {
  const { root, fifo, file } = await planWaitingOnFifo('bp-int-here-');
  const ran = runCliHere(['--root', root, 'apply', '--dry-run', '-f', file]);
  await sleep(500);
  process.kill(process.pid, sig); // runCli's handler takes it: this process is not ended
  await sleep(200);
  await writeFile(fifo, 'UTC\n');
  return ran;
}

describe('runCli and a signal its command ran past', () => {
  it('returns 143 for SIGTERM, and says it', async () => {
    const r = await signalledPlanHere('SIGTERM');
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('error: Interrupted by SIGTERM');
    expect(r.out).toMatch(/^allowed out: /m); // the plan is whole
  });

  it('returns 130 for SIGINT, command line after command line', async () => {
    const first = await signalledPlanHere('SIGINT');
    expect(first.code, first.err).toBe(130);
    const second = await signalledPlanHere('SIGINT');
    expect(second.code, second.err).toBe(130);
  });
});
