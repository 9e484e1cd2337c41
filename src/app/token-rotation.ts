import type { BoxContext } from './context.js';
import type { ServiceOps } from './services.js';

/** What `services.rotateTokens` did (`blueprint service rotate-tokens`). */
export interface TokenRotation {
  provider: string;
  /** The consumers given a new token for `provider`. */
  rotated: string[];
  /**
   * Those running now, not restarted: their copy holds the new token, which a consumer that reads
   * it again at a 401 (rag) takes; one that read it once keeps getting 401 until restarted.
   */
  mustRestart: string[];
  /** Those restarted (`restart: true`). */
  restarted: string[];
}

/**
 * New tokens for the consumers of `provider` (all, or `consumer`): core/services/token-rotation.ts.
 * The provider's kit refuses the old tokens within a second; the consumers' copies hold the new
 * ones (the running ones' mounted files too): with `restart`, those running are restarted here (as
 * `service restart` does), else named. An engine that cannot be asked: every one is named (the
 * tokens are rotated either way). Command-only: not in the start part.
 */
export async function rotateTokens(
  ctx: BoxContext,
  ops: ServiceOps,
  provider: string,
  opts: { consumer?: string; restart?: boolean; signal?: AbortSignal } = {},
): Promise<TokenRotation> {
  const [{ rotateConsumerTokens }, { inspectContainer }] = await Promise.all([
    import('../core/services/token-rotation.js'),
    import('../core/services/container-info.js'),
  ]);
  const { rotated } = await rotateConsumerTokens(ctx.root, provider, opts.consumer);
  const running: string[] = [];
  // Not asked (the engine did not answer): always named for the admin to judge, never restarted
  // here (a restart would fail the same way), with or without `restart`.
  const unknown: string[] = [];
  for (const c of rotated) {
    const state = await inspectContainer(ctx.engine(), c, ctx.root).then(
      (i) => (i?.State.Running === true ? 'running' : 'stopped'),
      () => 'unknown' as const,
    );
    if (state === 'running') running.push(c);
    else if (state === 'unknown') unknown.push(c);
  }
  const restarted: string[] = [];
  if (opts.restart)
    for (const c of running) {
      await ops.restart(c, opts.signal ? { signal: opts.signal } : {});
      restarted.push(c);
    }
  const mustRestart = [...running.filter((c) => !restarted.includes(c)), ...unknown];
  return { provider, rotated, mustRestart, restarted };
}

/** A module's access tokens, as the dashboard's Tokens page lists them (`blueprint service token`). */
export interface TokenState {
  name: string;
  /** Its manifest names a token file to its server: `service token NAME` can set one. */
  readsToken: boolean;
  /** An admin token is set (its file holds one); the token itself is never read out here. */
  tokenSet: boolean;
  /** It gives each module that uses it a token of its own (`service rotate-tokens NAME`). */
  clientTokens: boolean;
  /** The installed modules that use it: they get its token (or their own) from blueprint. */
  usedBy: string[];
}

/**
 * Which installed modules take a token, have one set, and who uses them. The token file is read
 * as wiring.ts reads it (bounded, never through a link) only to learn whether it holds one.
 */
export async function tokenStates(ctx: BoxContext): Promise<TokenState[]> {
  const [{ listRegistrations }, { readToken, usersOf }, { readsToken }] = await Promise.all([
    import('../core/services/registry.js'),
    import('../core/services/wiring.js'),
    import('../core/services/module-token.js'),
  ]);
  const out: TokenState[] = [];
  for (const reg of await listRegistrations(ctx.root)) {
    out.push({
      name: reg.name,
      readsToken: readsToken(reg.spec),
      tokenSet: (await readToken(ctx.root, reg.name).catch(() => undefined)) !== undefined,
      clientTokens: reg.spec.socket?.clientTokens === true && reg.spec.data !== undefined,
      usedBy: await usersOf(ctx.root, reg.name),
    });
  }
  return out;
}
