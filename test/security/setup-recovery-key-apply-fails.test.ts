import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EncryptionOutcome } from '../../src/app/encryption.js';
import { BlueprintError } from '../../src/core/errors.js';
import { runCliHere } from '../helpers/cli-here.js';

/**
 * `setup --answers` with encryption encrypts the blank data partition, then applies the answers.
 * The recovery key (no recoveryKeyFile) was printed only with apply's summary: when apply threw
 * (a blocked plan, a module that cannot install offline, a live command failing) the key was never
 * shown, and the volume stayed encrypted with it: a TPM box is locked out of its data at its next
 * firmware change (PCR 7). A blocked plan is now refused before anything is encrypted, and the key
 * is out (human: before apply; --json: in the one document, error or not) whatever apply does.
 */
const KEY = 'cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv-cbdefghi-jklnrtuv';

const state = vi.hoisted(() => ({
  blocked: [] as string[],
  applyFails: true,
  keyFile: undefined as string | undefined,
  encrypted: 0,
  applied: 0,
}));

vi.mock('../../src/cli/box.js', () => ({
  cliBox: () => ({
    // setup's last line names the box's addresses (97781eab): none here.
    audit: { addresses: async () => [] },
    setup: {
      fromAnswersFile: async () => ({
        spec: {},
        repositories: [],
        encryption: { mode: 'tpm', ...(state.keyFile ? { recoveryKeyFile: state.keyFile } : {}) },
      }),
      checkEncryption: async () => {},
      // The box held from the encryption to the apply (setup-answers-holds-box.test.ts).
      hold: async () => ({ release: async () => {} }),
      plan: async () => ({ root: '/', changes: [], live: [], blocked: state.blocked, egress: [] }),
      encrypt: async (): Promise<EncryptionOutcome> => {
        state.encrypted++;
        return state.keyFile
          ? { mode: 'tpm', device: '/dev/vda3', recoveryKeyFile: state.keyFile }
          : { mode: 'tpm', device: '/dev/vda3', recoveryKey: KEY };
      },
      apply: async () => {
        state.applied++;
        // As applyPlan (src/core/setup/apply.ts) refuses a blocked plan.
        if (state.blocked.length)
          throw new BlueprintError(
            `Cannot apply: ${state.blocked.join('; ')}`,
            'blocked',
            'Nothing was written.',
          );
        if (state.applyFails)
          throw new BlueprintError(
            'module llm: not in the offline catalog',
            'module-missing',
            'Add a repository.',
          );
        return { changed: [], commands: [], restartNeeded: [] };
      },
    },
  }),
}));

/** `blueprint GLOBALS setup --answers … EXTRA`, in this process. */
function setup(
  globals: string[] = [],
  extra: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  return runCliHere([...globals, 'setup', '--answers', '/nonexistent/answers.yaml', ...extra]);
}

const count = (text: string, s: string) => text.split(s).length - 1;

beforeEach(() => {
  Object.assign(state, { blocked: [], applyFails: true, keyFile: undefined, encrypted: 0, applied: 0 });
});
afterEach(() => vi.restoreAllMocks());

describe('setup --answers: the recovery key is never lost to a failing apply', () => {
  it('apply fails: the key has been printed (once), with its warning, and the error follows', async () => {
    for (const flags of [[], ['--quiet']]) {
      const r = await setup(flags);
      expect(r.code).toBe(1);
      expect(count(r.out + r.err, KEY)).toBe(1);
      expect(r.out).toMatch(/shown ONCE/);
      expect(r.err).toMatch(/error: module llm: not in the offline catalog/);
    }
  });

  it('apply fails with --json: one document on stdout, the error and the key in it', async () => {
    const r = await setup(['--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.error).toMatchObject({ code: 'module-missing' });
    expect(doc.error.encryption).toMatchObject({ mode: 'tpm', device: '/dev/vda3', recoveryKey: KEY });
  });

  it('apply succeeds: the key is printed once (human) or in the document (--json)', async () => {
    state.applyFails = false;
    const human = await setup();
    expect(human.code).toBe(0);
    expect(count(human.out, KEY)).toBe(1);
    const json = await setup(['--json']);
    expect(JSON.parse(json.out).encryption).toMatchObject({ recoveryKey: KEY });
  });

  it('a blocked plan is refused before the partition is encrypted', async () => {
    state.blocked = ['module llm needs a repository or the offline catalog'];
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Cannot apply: module llm needs a repository/);
    expect([state.encrypted, state.applied]).toEqual([0, 0]);
  });

  it('--unattended (headless provisioning): encryption without recoveryKeyFile is refused before anything', async () => {
    const r = await setup(['--json'], ['--unattended']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.message).toMatch(/without encryption\.recoveryKeyFile: unattended setup/);
    expect([state.encrypted, state.applied]).toEqual([0, 0]);
    expect(r.out + r.err).not.toContain(KEY);
    // With the file named, it goes ahead: the file's name is said, never the key.
    Object.assign(state, { applyFails: false, keyFile: '/root/recovery-key.txt' });
    const ok = await setup([], ['--unattended']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/Recovery key written to \/root\/recovery-key\.txt/);
    expect([state.encrypted, state.applied]).toEqual([1, 1]);
  });
});
