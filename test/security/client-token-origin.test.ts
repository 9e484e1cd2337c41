/**
 * A consumer's own token (services/client-tokens.ts) is HMAC(box key, PROVIDER NUL CONSUMER). The
 * box key is made once and kept, so the token was the name's for good: a package `rag` from one
 * repository (or package file) read its token, and a `rag` installed later from elsewhere got the
 * same one. Whoever kept it (the first `rag`, or a module of the same author still installed that
 * reaches llm's socket) was then told apart from the new `rag` by nothing: the provider's kit named
 * its requests `consumer:rag`, taking rag's places in the fair queue, or whatever a provider gives
 * rag by name. Trust is scoped (data-owner.ts keeps a data folder from a package of the same name
 * from elsewhere): the token is the installed package's, its origin and signer in the HMAC too.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { installedFrom, llmWithRag, providerTokens, starts } from '../helpers/client-token-box.js';

let root: string;

/** rag's start (ensureContainer's wiring): the token it reads at /run/blueprint/tokens/llm. */
const ragStarts = () => starts(root, 'rag');

beforeEach(async () => {
  root = await llmWithRag('bp-token-origin-');
});

describe('attack: a token kept by a package of the same name from elsewhere', () => {
  it('rag from another repository gets a token of its own; the first one opens nothing', async () => {
    installedFrom(root, 'evil', 'a'.repeat(40));
    const kept = await ragStarts();
    // The first rag is removed; rag from the admin's repository is installed and starts.
    installedFrom(root, 'main', 'b'.repeat(40));
    const now = await ragStarts();
    expect(now).not.toBe(kept);
    const llm = providerTokens(root);
    expect(llm.identify(now)).toBe('rag');
    expect(llm.identify(kept)).toBeUndefined();
  });

  it('the same package again (a restart, a reinstall from the same place): the same token', async () => {
    installedFrom(root, 'main', 'b'.repeat(40));
    const first = await ragStarts();
    expect(await ragStarts()).toBe(first);
  });
});
