import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { rotateConsumerTokens } from '../../src/core/services/token-rotation.js';
import { layout } from '../../src/core/system/paths.js';
import {
  consumerSpec,
  installedFrom,
  providerSpec,
  providerTokens,
  register,
  starts,
  tokenRoot,
} from '../helpers/client-token-box.js';

let root: string;
const state = (name: string) => path.join(layout(root).stateDir, name);
const record = () => state('client-token-generations');
const SIGNER = 'b'.repeat(40);

beforeEach(async () => {
  root = tokenRoot('bp-token-restored-');
  await register(root, 'llm', providerSpec('llm'));
  await register(root, 'rag', consumerSpec(), ['llm']);
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

  it('the record as it is (no restore) keeps every token', async () => {
    const first = await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    const rotated = await starts(root, 'rag');
    expect(rotated).not.toBe(first);
    expect(await starts(root, 'rag')).toBe(rotated);
  });
});
