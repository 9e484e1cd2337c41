import { readFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EncryptionOutcome } from '../../src/app/encryption.js';
import { ConflictError } from '../../src/core/errors.js';
import { applyPlan, holdSetup, planSetup, type SetupPlan, specSchema } from '../../src/core/setup/index.js';
import { runCliHere } from '../helpers/cli-here.js';
import { boxPerTest } from '../helpers/roots.js';
import { sshPublicKey } from '../setup/helpers.js';

/**
 * `setup --answers` with encryption encrypts the data partition and then applies the answers.
 * The console's wizard holds the box (setup.lock) from before its encryption to its apply (QA18),
 * but `setup --answers` took the box only at apply: a wizard (or a second provisioning run) could
 * start between them, see a box not set up, encrypt the same partition again and show its admin a
 * recovery key that no longer opens it. `setup --answers` now holds the box from before it encrypts
 * until its apply is done: a setup holding it refuses it with nothing encrypted, and while it
 * encrypts no other setup can take the box.
 */
const box = boxPerTest('answers-hold');

const state = vi.hoisted(() => ({
  root: '',
  encrypted: 0,
  /** What another setup trying to take the box during the encryption met. */
  duringEncryption: undefined as unknown,
  encryptFails: false,
}));

const planFor = (root: string): Promise<SetupPlan> =>
  planSetup(
    root,
    specSchema.parse({ hostname: 'box-01', users: [{ name: 'admin', keys: [sshPublicKey()] }] }),
    [],
  );

vi.mock('../../src/cli/box.js', () => ({
  cliBox: () => ({
    audit: { addresses: async () => [] },
    setup: {
      fromAnswersFile: async () => ({
        spec: specSchema.parse({ hostname: 'box-01', users: [{ name: 'admin', keys: [sshPublicKey()] }] }),
        repositories: [],
        encryption: { mode: 'tpm', recoveryKeyFile: '/var/lib/blueprint/recovery-key.txt' },
      }),
      checkEncryption: async () => {},
      plan: async () => planFor(state.root),
      hold: (plan: SetupPlan, opts?: { firstSetup?: boolean }) => holdSetup(plan, opts),
      encrypt: async (): Promise<EncryptionOutcome> => {
        state.encrypted++;
        // Another setup (a console's wizard) trying to take the box meanwhile.
        state.duringEncryption = await holdSetup(await planFor(state.root)).then(
          async (h) => {
            await h.release();
            return 'taken';
          },
          (err: unknown) => err,
        );
        if (state.encryptFails) throw new Error('cryptsetup: device busy');
        return { mode: 'tpm', device: '/dev/vda3', recoveryKeyFile: '/var/lib/blueprint/recovery-key.txt' };
      },
      apply: (plan: SetupPlan, opts: { hold?: Awaited<ReturnType<typeof holdSetup>> } = {}) =>
        applyPlan(plan, opts.hold ? { hold: opts.hold } : {}),
    },
  }),
}));

const setup = () => runCliHere(['setup', '--answers', '/nonexistent/answers.yaml']);

beforeEach(() => {
  Object.assign(state, { root: box.root, encrypted: 0, duringEncryption: undefined, encryptFails: false });
});

describe('setup --answers holds the box from before its encryption to its apply', () => {
  it('no other setup can take the box while it encrypts; it applies and lets go', async () => {
    const r = await setup();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(state.encrypted).toBe(1);
    expect(state.duringEncryption).toBeInstanceOf(ConflictError);
    expect((state.duringEncryption as ConflictError).code).toBe('locked');
    expect(await readFile(box.at('etc/hostname'), 'utf8')).toBe('box-01\n');
    // Released: a setup after it takes the box (and finds nothing left to do).
    await (await holdSetup(await planFor(box.root))).release();
  });

  it('another setup holding the box: refused before anything is encrypted', async () => {
    const other = await holdSetup(await planFor(box.root));
    try {
      const r = await setup();
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/Nothing was written or encrypted here/);
      expect(state.encrypted).toBe(0);
    } finally {
      await other.release();
    }
  });

  it('an encryption that fails lets go of the box', async () => {
    state.encryptFails = true;
    const r = await setup();
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/device busy/);
    await (await holdSetup(await planFor(box.root))).release();
  });
});
