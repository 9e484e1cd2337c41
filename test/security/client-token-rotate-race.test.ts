/**
 * A consumer's start racing a rotation of its token: the start wrote the provider's file, computed
 * the consumer's token, and wrote its copy later, outside the tokens' lock. A rotation in between
 * changed the file and the copy, then the start's copy write put the old token back: the consumer
 * sent a token its provider refuses (401, again after reading its file) until its next restart.
 * Forced: the start's write of the copy is held (a wrapper around safe-write.ts's writeFileAt)
 * while the rotation runs.
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { consumerToken } from '../../src/core/services/client-tokens.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { rotateConsumerTokens } from '../../src/core/services/token-rotation.js';
import { planUses, shareWiring, writeTokenCopies } from '../../src/core/services/wiring.js';
import { llmWithRag, providerTokens } from '../helpers/client-token-box.js';

/** The next write of a token copy with a token in it waits for `held` (after `reached`). */
const gate: { held?: Promise<void>; reached?: () => void } = {};
vi.mock('../../src/core/system/safe-write.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/core/system/safe-write.js')>();
  return {
    ...orig,
    writeFileAt: async (...args: Parameters<typeof orig.writeFileAt>) => {
      const held = gate.held;
      if (held && args[1].endsWith('.token') && String(args[2]).length > 0) {
        gate.held = undefined;
        gate.reached?.();
        await held;
      }
      return orig.writeFileAt(...args);
    },
  };
});

let root: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  root = await llmWithRag('bp-token-rotate-race-');
});

describe("attack: a consumer's start racing a rotation of its token", () => {
  it('leaves the copy holding the token the provider takes', async () => {
    const used = await planUses(root, (await findRegistration(root, 'rag'))!);
    await writeTokenCopies(root, 'rag', used);
    let release!: () => void;
    gate.held = new Promise<void>((r) => {
      release = r;
    });
    const reached = new Promise<void>((r) => {
      gate.reached = r;
    });
    const starting = shareWiring(used, 4242);
    await reached; // the start has its token for rag and is about to write the copy
    const rotating = rotateConsumerTokens(root, 'llm', 'rag');
    await Promise.race([rotating, sleep(500)]);
    release();
    await Promise.all([starting, rotating]);
    const copy = readFileSync(used[0]!.tokenFile!, 'utf8').trim();
    expect(copy).toBe(await consumerToken(root, 'llm', 'rag'));
    expect(providerTokens(root).identify(copy)).toBe('rag');
  });
});
