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
 * exists, at least one copy holds a token, and every such copy holds `tokenOf(provider, consumer)` (the token of
 * no generation and no rotation), no rotation happened since they were written: keeping no
 * generation gives back no token a rotation replaced, and a running consumer that read its token
 * once keeps a good one. A copy of a rotated token, of the admin's token from before the provider
 * took one per consumer, or no copy at all (after a boot: every consumer starts again and reads
 * its token then) means a new generation. Only root writes those copies and the key.
 */
export async function legacyTokensInUse(
  root: string,
  tokenOf: (provider: string, consumer: string) => Promise<string>,
): Promise<boolean> {
  const key = await lstat(path.join(layout(root).stateDir, 'client-token-key')).catch(() => undefined);
  if (!key?.isFile()) return false;
  let held = 0;
  for (const reg of await listRegistrations(root)) {
    if (!reg.spec.socket?.clientTokens || !reg.spec.data) continue;
    for (const consumer of await usersOf(root, reg.name)) {
      const r = await readBoundedFile(tokenCopy(root, consumer, reg.name), 1024, {
        accept: (st) => st.uid === (process.geteuid?.() ?? 0),
      });
      if (!r.ok && r.why === 'open' && r.error.code === 'ENOENT') continue;
      if (!r.ok) return false;
      const token = r.bytes.toString('utf8').trim();
      // Emptied: that consumer is starting (wiring.ts writeTokenCopies) and reads what it is given.
      if (token === '') continue;
      if (token !== (await tokenOf(reg.name, consumer))) return false;
      held++;
    }
  }
  return held > 0;
}
