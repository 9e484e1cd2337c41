import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { applyPlan, pendingChanges, planSetup, specSchema } from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from './helpers.js';

/**
 * QA22's walk: SIGTERM to `blueprint --json apply` while it planned (Ansible's timeout, a CI job
 * cancelled) gave `"changed": []` with 'Interrupted before every change was made' and the hint
 * 'What was written before stays (each change whole)…', though nothing had been written. An
 * interruption before the first change now says that nothing was written.
 */
const box = boxPerTest('apply-int-before');

const spec = () =>
  specSchema.parse({
    hostname: 'box-01',
    users: [{ name: 'admin', keys: [sshPublicKey('ops@laptop')] }],
  });

describe('setup or apply interrupted before its first change', () => {
  it('says nothing was written, and writes nothing', async () => {
    const plan = await planSetup(box.root, spec(), []);
    const before = pendingChanges(plan).length;
    const err = await applyPlan(plan, { signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect(err.message).toMatch(/before any change was made/);
    expect(err.hint).toMatch(/Nothing was written/);
    expect(err.hint).not.toMatch(/written before stays/);
    expect(existsSync(box.at('etc/hostname'))).toBe(false);
    expect(pendingChanges(await planSetup(box.root, spec(), [])).length).toBe(before);
  });
});
