/**
 * The box's local signing key is made at the first `blueprint model import` in a private folder
 * (`.local-key-PID-UUID`, root's, 0700) renamed into place. A process killed while making it left
 * that folder, holding an unused secret key, and nothing ever removed it (REVIEW11). Now the next
 * import sweeps the folders of processes that are gone before it makes or uses the key. The real
 * executable, stopped the moment its private folder appears (SIGSTOP, so the state is seen), then
 * SIGKILLed; the next import succeeds and leaves no such folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run, tempDir } from '../helpers/pkg.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const BIN = path.join(repoRoot, 'dist/blueprint');
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.local-key-'));

/** Runs a first import and SIGKILLs it while its key's private folder exists; whether that was caught. */
async function killWhileMakingKey(root: string): Promise<boolean> {
  const parent = path.join(root, 'var/lib/blueprint');
  mkdirSync(parent, { recursive: true });
  const child = spawn(BIN, ['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: () => void = () => {};
  const stop = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const watcher = watch(parent, (_event, name) => {
    if (!String(name).startsWith('.local-key-')) return;
    child.kill('SIGSTOP');
    stopped();
  });
  await Promise.race([exited, stop, new Promise((r) => setTimeout(r, 20_000))]);
  watcher.close();
  // Stopped (not exited): its folder is there and the key not renamed into place yet, or it was too late.
  const caught = leftovers(parent).length > 0 && !existsSync(path.join(parent, 'local-key'));
  child.kill('SIGKILL');
  child.kill('SIGCONT');
  await exited;
  return caught;
}

describe('a process killed while it makes the local signing key', () => {
  it('leaves a folder the next import removes', async () => {
    let root = '';
    let caught = false;
    for (let i = 0; i < 5 && !caught; i++) {
      root = path.join(tempDir('bp-localkey-kill-'), 'root');
      caught = await killWhileMakingKey(root);
    }
    expect(caught, 'the import was never stopped while making its key').toBe(true);
    const parent = path.join(root, 'var/lib/blueprint');
    expect(leftovers(parent).length).toBe(1);

    const again = await run(['--root', root, '--yes', 'model', 'import', Q8, '--name', 'tiny']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(path.join(parent, 'local-key/secret.asc'))).toBe(true);
    expect(leftovers(parent)).toEqual([]);
  }, 120_000);
});
