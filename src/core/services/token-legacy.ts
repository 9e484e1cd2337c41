import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { listRegistrations } from './registry.js';
import { tokenCopy, usersOf } from './wiring.js';

/**
 * Whether this box is one from before the rotation record's generation (6e7e958) that never
 * rotated, with consumers holding their tokens (token-generations.ts readRecord asks it where there
 * is neither record nor mark). The code then made every token from the box key, the names, where the
 * consumer came from and the pair's count of rotations, none while never rotated; the consumers'
 * copies (RUN/wiring/CONSUMER/PROVIDER.token, in the run folder, root's alone: wiring.ts
 * openWiring) hold the tokens last written, and a rotation rewrites them. So where the box key
 * exists and every consumer of every provider taking tokens per consumer has a copy holding
 * `tokenOf(provider, consumer)` (the token of no generation and no rotation), no pair was rotated
 * since they were written: keeping no generation gives back no token a rotation replaced, and a
 * running consumer that read its token once keeps a good one. One pair without a copy (stopped,
 * or starting: its copy emptied) may be the one a lost record had rotated (its old token would
 * come back), and a copy of a rotated token or of the admin's token from before the provider took
 * one per consumer says a rotation or a change happened: a new generation, as after a boot (no
 * copies; every consumer reads its token at its start). Only root writes those copies and the key.
 *
 * What it gives: those pairs, which alone keep their token of no generation (token-generations.ts
 * TokenRecord.legacy). A pair not looked at here (its consumer or provider not installed now) may
 * be one a lost record had rotated: installed again, it gets the generation's token, not its old one.
 */
export async function legacyTokensInUse(
  root: string,
  tokenOf: (provider: string, consumer: string) => Promise<string>,
): Promise<Record<string, string[]> | undefined> {
  const key = await lstat(path.join(layout(root).stateDir, 'client-token-key')).catch(() => undefined);
  if (!key?.isFile()) return undefined;
  const pairs: Record<string, string[]> = {};
  let n = 0;
  for (const reg of await listRegistrations(root)) {
    if (!reg.spec.socket?.clientTokens || !reg.spec.data) continue;
    for (const consumer of await usersOf(root, reg.name)) {
      const r = await readBoundedFile(tokenCopy(root, consumer, reg.name), 1024, {
        accept: (st) => st.uid === (process.geteuid?.() ?? 0),
      });
      // Every pair's copy: one missing or emptied (a consumer stopped, or starting now) says
      // nothing of that pair's rotations, and it may be the pair a lost record had rotated.
      if (!r.ok || r.bytes.toString('utf8').trim() !== (await tokenOf(reg.name, consumer))) return undefined;
      pairs[reg.name] = [...(pairs[reg.name] ?? []), consumer];
      n++;
    }
  }
  return n > 0 ? pairs : undefined;
}
