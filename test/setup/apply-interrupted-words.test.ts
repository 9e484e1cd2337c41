import { describe, expect, it } from 'vitest';
import { applyPlan, planSetup, specSchema } from '../../src/core/setup/index.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from './helpers.js';

/**
 * Ctrl-C during `blueprint apply -f FILE` said 'error: Setup interrupted; run it again to finish':
 * the admin ran apply, not setup (applyPlan serves both), and 'it' was which command? The message
 * now names neither and says to run the same command again, true of both.
 */
const box = boxPerTest('apply-int-words');

describe('an interrupted apply or setup', () => {
  it('names no command it may not be, and says to run the same again', async () => {
    const abort = new AbortController();
    const spec = specSchema.parse({
      hostname: 'box-01',
      users: [{ name: 'admin', keys: [sshPublicKey('ops')] }],
    });
    const err = await applyPlan(await planSetup(box.root, spec, []), {
      signal: abort.signal,
      onChange: () => abort.abort(),
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'interrupted' });
    expect(err.message).not.toMatch(/^Setup/);
    expect(err.message).toContain('run the same command again to finish');
  });
});
