import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { applyPlan, pendingChanges, planSetup, specSchema } from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from './helpers.js';

/**
 * Ctrl-C in the middle of `blueprint setup` / `apply`: the files written before it stay (each one
 * whole), so the error said 'Setup interrupted; run it again to finish' and, below it, the hint
 * every interruption had: 'Nothing was changed; run the command again.' It says what is true.
 */
const box = boxPerTest('apply-int');

const spec = () =>
  specSchema.parse({
    hostname: 'box-01',
    timezone: 'Europe/Paris',
    users: [{ name: 'admin', keys: [sshPublicKey('ops@laptop')] }],
  });

describe('setup interrupted after its first change', () => {
  it('does not claim nothing was changed, and running it again finishes', async () => {
    const abort = new AbortController();
    let seen = 0;
    const err = await applyPlan(await planSetup(box.root, spec(), []), {
      signal: abort.signal,
      onChange: () => {
        if (++seen === 1) abort.abort();
      },
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect(err.hint).not.toMatch(/Nothing was changed/);
    expect(err.hint).toMatch(/again/);
    const left = pendingChanges(await planSetup(box.root, spec(), []));
    expect(left.length).toBeGreaterThan(0);
    expect(left.some((c) => c.kind === 'marker')).toBe(true);
    await applyPlan(await planSetup(box.root, spec(), []));
    expect(existsSync(box.at('var/lib/blueprint/setup-done'))).toBe(true);
  });
});
