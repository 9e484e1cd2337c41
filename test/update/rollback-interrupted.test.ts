// `blueprint system rollback` with an update pending cancels it in three RAUC steps (mark-active
// booted, mark-good booted, mark-bad other). A Ctrl-C between them stopped it half-way and said
// "Nothing was changed; run the command again", though the running slot already booted next; run
// again, rollback saw no pending update and sent the box to the other slot: into the very update
// the admin was cancelling. Begun, the steps now run to their end (real RAUC, rauc-sandbox.ts).
import { describe, expect, it } from 'vitest';
import { rollback, systemStatus } from '../../src/core/update/index.js';
import { raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();

describe.skipIf(missing)(`system rollback and a signal${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = raucForSuite();

  it('a signal after the first step: the cancel is done whole, the update slot marked bad', async () => {
    const real = box.rauc();
    await box.rauc().run(['install', box.bundle('2.0.0')]);
    expect((await systemStatus({ rauc: real })).next).toBe('rootfs.1');
    const abort = new AbortController();
    // The Ctrl-C comes as RAUC answers the first step.
    const rauc = {
      async run(args: string[], opts?: { signal?: AbortSignal }) {
        const r = await real.run(args, opts);
        if (args.includes('mark-active')) abort.abort(new Error('Interrupted by SIGINT'));
        return r;
      },
    };
    const r = await rollback({ rauc, signal: abort.signal }).catch((err: Error) => err);
    const st = await systemStatus({ rauc: real });
    expect(st.next).toBe('rootfs.0');
    expect(st.slots.find((s) => s.bootname === 'B')?.bootStatus).toBe('bad');
    expect(r).not.toBeInstanceOf(Error);
    // Run again (as the hint of an interruption says), it does not go into the cancelled update.
    await expect(rollback({ rauc: real })).rejects.toMatchObject({ code: 'rollback-bad-slot' });
  }, 60_000);
});
