/**
 * The console's Keys screen (dist/blueprint in tmux) showing one trusted key whose user ID is
 * `name`: a real OpenPGP key made with that user ID and trusted in `t.root`. The console security
 * tests put hostile text there (a key user ID reaches the screen as the key file has it).
 */
import path from 'node:path';
import { exe, Pane } from '../tui/tmux.js';
import { makeKey } from './pkg.js';

export async function keysScreenWithUserId(
  t: { root: string; work: string; defer(fn: () => Promise<void>): void },
  name: string,
): Promise<string> {
  const key = await makeKey(path.join(t.work, 'key'), { name });
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  await new PackageManager({ root: t.root }).keyring.add(key.publicKey, key.fingerprint);
  const p = new Pane([exe, '--root', t.root], { width: 160, height: 30 });
  t.defer(async () => p.kill());
  await p.waitFor('Host');
  p.keys('4');
  return p.waitFor('Trusted signing keys (1)');
}
