import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../errors.js';
import { layout } from '../system/paths.js';
import { inDir, writeFileAt } from '../system/safe-write.js';
import { consumerToken, writeClientTokensLocked } from './client-tokens.js';
import { getRegistration } from './registry.js';
import { bumpGenerations } from './token-generations.js';
import { underTokenLock } from './token-lock.js';
import { openConsumerDir, openWiring, tokenCopy, usersOf } from './wiring.js';

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
      `Set a new token for ${provider} instead (blueprint service token ${provider}), then restart it and the modules that use it.`,
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
    await writeClientTokensLocked(root, provider);
    for (const c of rotated) await refreshCopy(root, c, provider);
    return { provider, rotated };
  });
}

/**
 * The consumer's copy of its token, where a start made one (its group's, 0440), holding the new
 * token. Written in place: the running consumer has this very file bind-mounted (a file renamed
 * over it would be a new one it never sees), so a consumer that reads it again at a 401 (rag's
 * upstream.ts) goes on without a restart. The folder is root's alone (openWiring): no one else can
 * have put a link, a FIFO or a hard link at the name; a file that is not one plain file is renamed
 * over instead, as shareWiring writes it. None: its next start makes it.
 */
async function refreshCopy(root: string, consumer: string, provider: string): Promise<void> {
  const { runDir } = layout(root);
  const at = tokenCopy(root, consumer, provider);
  // Root's folders (openWiring refuses anything else); a copy of any other kind is left to the next start.
  const st = await lstat(at).catch(() => undefined);
  if (!st?.isFile()) return;
  const wiring = await openWiring(runDir);
  try {
    const dir = await openConsumerDir(wiring, runDir, consumer, false);
    try {
      const token = `${await consumerToken(root, provider, consumer)}\n`;
      if (!(await overwrite(dir, path.basename(at), token)))
        await writeFileAt(dir, path.basename(at), token, { mode: 0o440, owner: [0, st.gid] });
    } finally {
      await dir.close();
    }
  } finally {
    await wiring.close();
  }
}

const { O_WRONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** `text` over the file's bytes (one write; the old and new tokens are the same length); false: not one plain file. */
async function overwrite(dir: FileHandle, name: string, text: string): Promise<boolean> {
  const fh = await open(inDir(dir, name), O_WRONLY | O_NOFOLLOW | O_NONBLOCK).catch(() => undefined);
  if (!fh) return false;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.nlink !== 1) return false;
    await fh.write(text, 0);
    await fh.truncate(Buffer.byteLength(text));
    await fh.sync();
    return true;
  } finally {
    await fh.close();
  }
}
