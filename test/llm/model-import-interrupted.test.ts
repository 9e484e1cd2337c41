import { copyFileSync, existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/pkg.js';
import { started } from '../helpers/signalled-build.js';
import { until } from '../helpers/until.js';
import { F32 } from './helpers.js';

// `blueprint model import` of a large GGUF ended part-way, as an impatient admin does: Ctrl-C, and
// Ctrl-C again while the first is still being honoured (or systemd's SIGTERM, then its SIGKILL is
// another matter: a killed import's folder goes at the next import). The work folder holds the
// copy of the model and its package (twice the model's size): it must not stay behind.
const work = tempDir('bp-model-interrupted-');
const big = path.join(work, 'big.gguf');
copyFileSync(F32, big);
// Bytes past the tensors: read and packaged like any, and slow enough to be interrupted.
truncateSync(big, 200 * 1024 * 1024);

const importDir = (root: string) => path.join(root, 'var/cache/blueprint/model-import');
const left = (root: string) => (existsSync(importDir(root)) ? readdirSync(importDir(root)) : []);
// The install step's private copy of the package (fetch.ts readLocalPackage), the model's size.
const cacheDir = (root: string) => path.join(root, 'var/cache/blueprint/packages');
const copies = (root: string) =>
  existsSync(cacheDir(root)) ? readdirSync(cacheDir(root)).filter((f) => f.startsWith('.local-')) : [];

/** `model import` of the big GGUF as `big` on the box at `root`, running. */
const importing = (root: string) =>
  started(['--root', root, 'model', 'import', big, '--name', 'big', '--yes'], process.env);
/** `sig`, and `sig` again 30 ms later while it still runs (the admin's second Ctrl-C); its exit code. */
async function signalTwice(b: ReturnType<typeof started>, sig: NodeJS.Signals) {
  b.child.kill(sig);
  await new Promise((r) => setTimeout(r, 30));
  if (!b.exited) b.child.kill(sig);
  return b.closed;
}

describe('model import interrupted twice', () => {
  for (const [phase, sig] of [
    ['packaging', 'SIGINT'],
    ['installing', 'SIGINT'],
    ['installing', 'SIGTERM'],
  ] as const)
    it(`a second ${sig} while ${phase} leaves no work folder and says it was interrupted`, async () => {
      const root = path.join(tempDir('bp-model-int-root-'), 'box');
      const b = importing(root);
      await until(`the import is ${phase}`, () => b.err.includes(phase) || b.exited, 60_000);
      expect(b.exited, b.err).toBe(false);
      const code = await signalTwice(b, sig);
      expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(b.err).toMatch(new RegExp(`Interrupted by ${sig}`));
      expect(left(root)).toEqual([]);
      expect(copies(root)).toEqual([]);
      // Run again, it imports.
      const again = await run(['--root', root, 'model', 'import', big, '--name', 'big', '--yes']);
      expect(again.code, again.stderr).toBe(0);
      expect(left(root)).toEqual([]);
    }, 120_000);

  // Once the install step's copy of the package is whole (it is checked and unpacked next), the
  // copy is no longer the copying's to remove: the second signal must still take it.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    it(`a second ${sig} once the package is copied into the cache leaves no copy there`, async () => {
      const root = path.join(tempDir('bp-model-int-root-'), 'box');
      const b = importing(root);
      const whole = () =>
        copies(root).some((f) => {
          try {
            return statSync(path.join(cacheDir(root), f)).size >= 200 * 1024 * 1024;
          } catch {
            return false;
          }
        });
      await until('the package is copied into the cache', () => whole() || b.exited, 60_000);
      expect(b.exited, b.err).toBe(false);
      const code = await signalTwice(b, sig);
      expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(copies(root)).toEqual([]);
      expect(left(root)).toEqual([]);
    }, 120_000);
});
