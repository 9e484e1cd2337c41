/**
 * The root-only record of token rotations (core/services/token-generations.ts) is the only thing
 * that remembers a rotation. Put back whole from an older backup (the admin restoring the file its
 * error's hint named, or that file alone restored), it gave back that
 * backup's tokens: one the admin had rotated away because it leaked opened the provider again.
 * Before the fix, the first two tests' token after the restore was the leaked one.
 *
 * And the other way: a box from before the record's generation (6e7e958) that never rotated had
 * every consumer token changed at its first token after the upgrade, so a running consumer that
 * reads its token once got 401 until restarted. Before the fix, the legacy test's token after the
 * upgrade was a new one, not the one the running consumer held.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeClientTokens } from '../../src/core/services/client-tokens.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { deleteRegistration } from '../../src/core/services/registry.js';
import { generationOf } from '../../src/core/services/token-generations.js';
import { rotateConsumerTokens } from '../../src/core/services/token-rotation.js';
import { tokenCopy } from '../../src/core/services/wiring.js';
import { layout } from '../../src/core/system/paths.js';
import {
  consumerSpec,
  installedFrom,
  llmWithRag,
  providerTokens,
  register,
  starts,
} from '../helpers/client-token-box.js';

let root: string;
const state = (name: string) => path.join(layout(root).stateDir, name);
const record = () => state('client-token-generations');
const SIGNER = 'b'.repeat(40);

beforeEach(async () => {
  root = await llmWithRag('bp-token-restored-', '/run/c');
  installedFrom(root, 'main', SIGNER);
});

describe('attack: an older rotation record put back', () => {
  it('a record from before a rotation never brings back the token the rotation replaced', async () => {
    const leaked = await starts(root, 'rag');
    const backup = readFileSync(record());
    await rotateConsumerTokens(root, 'llm', 'rag');
    const rotated = await starts(root, 'rag');
    writeFileSync(record(), backup, { mode: 0o600 }); // restored
    const now = await starts(root, 'rag');
    expect(now).not.toBe(leaked);
    expect(providerTokens(root).identify(leaked)).toBeUndefined();
    expect(providerTokens(root).identify(now)).toBe('rag');
    expect(now).not.toBe(rotated);
    // The replacement is kept: the next start agrees with this one.
    expect(await starts(root, 'rag')).toBe(now);
  });

  it('a record from between two rotations never brings back the first rotated token', async () => {
    await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    const leaked = await starts(root, 'rag');
    const backup = readFileSync(record());
    await rotateConsumerTokens(root, 'llm', 'rag');
    await starts(root, 'rag');
    writeFileSync(record(), backup, { mode: 0o600 });
    const now = await starts(root, 'rag');
    expect(now).not.toBe(leaked);
    expect(providerTokens(root).identify(leaked)).toBeUndefined();
  });

  it('with several consumers, a record put back is replaced once: each keeps the token it was given', async () => {
    const names = ['rag', 'c1', 'c2', 'c3', 'c4', 'c5'];
    for (const c of names.slice(1)) await register(root, c, consumerSpec(`/run/${c}`), ['llm']);
    for (const c of names) await starts(root, c);
    const backup = readFileSync(record());
    await rotateConsumerTokens(root, 'llm');
    writeFileSync(record(), backup, { mode: 0o600 });
    // The provider's start: every consumer's token made at once, each from its own reading of the
    // record. Before, each reading made its own new generation: the tokens changed again next time.
    await writeClientTokens(root, 'llm');
    const copies = () => names.map((c) => readFileSync(tokenCopy(root, c, 'llm'), 'utf8'));
    const first = copies();
    await writeClientTokens(root, 'llm');
    expect(copies()).toEqual(first);
  });

  it('readings at once of a record put back agree on one new generation', async () => {
    await starts(root, 'rag');
    const backup = readFileSync(record());
    await rotateConsumerTokens(root, 'llm', 'rag');
    for (let round = 0; round < 5; round++) {
      writeFileSync(record(), backup, { mode: 0o600 });
      const read = await Promise.all(Array.from({ length: 24 }, () => generationOf(root, 'llm', 'rag')));
      expect(new Set(read.map((r) => r.generation)).size).toBe(1);
      expect(await generationOf(root, 'llm', 'rag')).toEqual(read[0]);
    }
  });

  it('the record as it is (no restore) keeps every token', async () => {
    const first = await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    const rotated = await starts(root, 'rag');
    expect(rotated).not.toBe(first);
    expect(await starts(root, 'rag')).toBe(rotated);
  });
});

describe('a box from before the generation (no record, no mark of one)', () => {
  /** The token the code before 6e7e958 gave `rag` for llm: no generation, `rotations` times rotated. */
  const legacy = (rotations = 0) =>
    createHmac('sha256', readFileSync(state('client-token-key')))
      .update(`llm\0rag\0main\0${SIGNER}${rotations ? `\0rotated ${rotations}` : ''}`)
      .digest('base64url');
  /** The box as that code left it: its key, rag running with its token (`rotations` times rotated). */
  const boxFromBefore = async (rotations = 0) => {
    await starts(root, 'rag'); // the key, the copy, the provider's file
    const token = legacy(rotations);
    for (const f of ['client-token-generations', 'client-token-seen']) rmSync(state(f), { force: true });
    writeFileSync(tokenCopy(root, 'rag', 'llm'), `${token}\n`);
    writeFileSync(path.join(serviceDirs(root, 'llm').dataDir, 'client-tokens'), `rag ${token}\n`);
  };

  /**
   * rag rotated once and stopped (no copy), rag2 never rotated and running with its token of no
   * generation, the record and mark lost. rag2's token.
   */
  const rotatedRagStoppedRag2Running = async () => {
    await register(root, 'rag2', consumerSpec('/run/rag2'), ['llm']);
    await boxFromBefore(1);
    await starts(root, 'rag2');
    const rag2 = createHmac('sha256', readFileSync(state('client-token-key')))
      .update('llm\0rag2')
      .digest('base64url');
    for (const f of ['client-token-generations', 'client-token-seen']) rmSync(state(f), { force: true });
    writeFileSync(tokenCopy(root, 'rag2', 'llm'), `${rag2}\n`);
    rmSync(tokenCopy(root, 'rag', 'llm'));
    return rag2;
  };

  it('that never rotated keeps the token a running consumer holds', async () => {
    await boxFromBefore();
    await writeClientTokens(root, 'llm'); // the provider's start, rag running
    expect(readFileSync(tokenCopy(root, 'rag', 'llm'), 'utf8').trim()).toBe(legacy());
    expect(providerTokens(root).identify(legacy())).toBe('rag');
    expect(await starts(root, 'rag')).toBe(legacy());
    expect(providerTokens(root).identify(legacy())).toBe('rag');
    // Rotating still gives a new one, and removing the record after that never brings it back.
    await rotateConsumerTokens(root, 'llm', 'rag');
    const rotated = await starts(root, 'rag');
    expect(rotated).not.toBe(legacy());
    rmSync(record());
    expect([legacy(), rotated]).not.toContain(await starts(root, 'rag'));
  });

  it('that rotated, then lost its record, never gets the pre-rotation token back', async () => {
    await boxFromBefore(1);
    await writeClientTokens(root, 'llm');
    const now = readFileSync(tokenCopy(root, 'rag', 'llm'), 'utf8').trim();
    expect([legacy(0), legacy(1)]).not.toContain(now);
    expect(providerTokens(root).identify(now)).toBe('rag');
    expect(providerTokens(root).identify(legacy(0))).toBeUndefined();
  });

  it('that rotated one consumer, lost its record, and runs only another: the rotated one never gets its old token', async () => {
    await rotatedRagStoppedRag2Running();
    await writeClientTokens(root, 'llm');
    expect(providerTokens(root).identify(legacy(0))).toBeUndefined();
    expect(providerTokens(root).identify(legacy(1))).toBeUndefined();
  });

  it('that rotated one consumer, lost its record, and had it removed: installed again, it never gets its old token', async () => {
    // Only the consumers installed at the first reading after the upgrade were looked at: a removed
    // one (or a provider removed) had no copy to say it was rotated, and the box kept no generation
    // for everyone, so the consumer installed again from where it came from was given back the token
    // its rotation had replaced (X, eleventh session: before the fix, the provider's kit named rag).
    const rag2 = await rotatedRagStoppedRag2Running();
    await deleteRegistration(root, 'rag', '1.0.0'); // rag removed
    await writeClientTokens(root, 'llm'); // the first reading after the upgrade
    // rag2, running, keeps the token it holds.
    expect(providerTokens(root).identify(rag2)).toBe('rag2');
    await register(root, 'rag', consumerSpec(), ['llm']); // installed again, from the same place
    const now = await starts(root, 'rag');
    expect(now).not.toBe(legacy(0));
    expect(providerTokens(root).identify(legacy(0))).toBeUndefined();
    expect(providerTokens(root).identify(now)).toBe('rag');
    expect(providerTokens(root).identify(rag2)).toBe('rag2');
  });

  it('with no running consumer gets a new generation (nothing holds a token)', async () => {
    await boxFromBefore();
    rmSync(tokenCopy(root, 'rag', 'llm'));
    rmSync(state('client-token-generations'), { force: true });
    const now = await starts(root, 'rag');
    expect(now).not.toBe(legacy());
  });
});
