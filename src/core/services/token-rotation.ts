import { ConflictError, NotFoundError } from '../errors.js';
import { writeClientTokensLocked } from './client-tokens.js';
import { getRegistration } from './registry.js';
import { bumpGenerations } from './token-generations.js';
import { underTokenLock } from './token-lock.js';
import { usersOf } from './wiring.js';

/**
 * `blueprint service rotate-tokens PROVIDER [CONSUMER]`: new tokens for the modules that use a
 * provider taking a token per consumer (all of them, or one). A consumer's token is computed from
 * the box key, the two names and where the consumer came from, so it was the same for good: one
 * that leaked (a consumer taken over, then removed and installed again from the same repository
 * and signer) could not be changed. Each pair's count (token-generations.ts) goes up by one, under
 * the lock every write of a `client-tokens` takes; the provider's file is written again at once
 * (its kit refuses the old token within a second, no restart), and each consumer's copy in
 * ROOT/run/blueprint/wiring, where one is, holds its new token, the file a running consumer has
 * mounted included: one that reads it again at a 401 (rag) goes on; one that read it once gets 401
 * until restarted (the caller names the running ones, or restarts them).
 */

export interface RotatedTokens {
  provider: string;
  /** The consumers given a new token for `provider`. */
  rotated: string[];
}

export async function rotateConsumerTokens(
  root: string,
  provider: string,
  only?: string,
): Promise<RotatedTokens> {
  const reg = await getRegistration(root, provider); // an installed module's name, never a path
  if (!reg.spec.socket?.clientTokens || !reg.spec.data)
    throw new ConflictError(
      `${provider} takes no token per consumer: the modules that use it share the admin's token`,
      'no-client-tokens',
      `Set a new token for ${provider} instead (\`blueprint service token ${provider}\`), then restart it and the modules that use it.`,
    );
  return underTokenLock(root, async () => {
    const users = await usersOf(root, provider);
    if (only !== undefined && !users.includes(only))
      throw new NotFoundError(
        `${only} does not use ${provider}: it has no token for it`,
        `The modules that use ${provider}: ${users.join(', ') || 'none'}.`,
        'not-a-consumer',
      );
    const rotated = only === undefined ? users : [only];
    if (rotated.length === 0) return { provider, rotated };
    await bumpGenerations(root, provider, rotated);
    // The file, and each consumer's copy (token-copies.ts): written with the new tokens.
    await writeClientTokensLocked(root, provider);
    return { provider, rotated };
  });
}
