/**
 * A consumer's token is an HMAC over the pair and the pair's count of rotations, kept in the
 * root-only record beside the box key (core/services/token-generations.ts). With the record gone
 * (deleted, as its own error's hint once said to do; lost with a restore that left it out), every
 * count read as 0: each pair's token was again the one from before any rotation, so a token the
 * admin rotated away because it leaked opened the provider again (docs/security-audit.md,
 * 2026-12-02 "Left open"). Before the fix, the first test's token after the removal was the
 * leaked one and the kit named it `rag`.
 */
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { rotateConsumerTokens } from '../../src/core/services/token-rotation.js';
import { layout } from '../../src/core/system/paths.js';
import { installedFrom, llmWithRag, providerTokens, starts } from '../helpers/client-token-box.js';

let root: string;
const counts = () => path.join(layout(root).stateDir, 'client-token-generations');

beforeEach(async () => {
  root = await llmWithRag('bp-token-counts-', '/run/c');
  installedFrom(root, 'main', 'b'.repeat(40));
});

describe('attack: the record of rotations removed or lost', () => {
  it('a removed record never brings back a token from before a rotation', async () => {
    const leaked = await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    const rotated = await starts(root, 'rag');
    expect(rotated).not.toBe(leaked);
    rmSync(counts());
    const now = await starts(root, 'rag');
    expect(now).not.toBe(leaked);
    expect(now).not.toBe(rotated);
    expect(providerTokens(root).identify(leaked)).toBeUndefined();
    expect(providerTokens(root).identify(rotated)).toBeUndefined();
    expect(providerTokens(root).identify(now)).toBe('rag');
    // The replacement is kept: the next start agrees with this one.
    expect(await starts(root, 'rag')).toBe(now);
    // Removed again (no rotation in between): a third token, never one seen before.
    rmSync(counts());
    const third = await starts(root, 'rag');
    expect([leaked, rotated, now]).not.toContain(third);
  });

  it('a record made before any rotation is in the token too: removing it then changes every token', async () => {
    const first = await starts(root, 'rag');
    rmSync(counts());
    expect(await starts(root, 'rag')).not.toBe(first);
  });

  it.each([
    ['emptied (a truncated write)', ''],
    ['cut short', '{"format":2,"generation":"'],
    ['with its generation emptied', '{"format":2,"generation":"","rotated":{"llm":{"rag":1}}}'],
  ])('a record %s is refused, never read as no rotation', async (_why, text) => {
    const leaked = await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    writeFileSync(counts(), text, { mode: 0o600 });
    await expect(starts(root, 'rag')).rejects.toMatchObject({ code: 'bad-client-key' });
    expect(providerTokens(root).identify(leaked)).toBeUndefined();
  });

  it('a link at its name to an empty record is refused', async () => {
    const leaked = await starts(root, 'rag');
    await rotateConsumerTokens(root, 'llm', 'rag');
    const elsewhere = path.join(root, 'elsewhere');
    writeFileSync(elsewhere, '{}\n', { mode: 0o600 });
    rmSync(counts());
    symlinkSync(elsewhere, counts());
    await expect(starts(root, 'rag')).rejects.toMatchObject({ code: 'bad-client-key' });
    expect(providerTokens(root).identify(leaked)).toBeUndefined();
  });
});
