import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseSocket } from '../../src/core/services/engine.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint --root TREE status` reads TREE/etc/blueprint/config.json for the engine's socket, and
 * a tree may be anyone's (a mounted image, a copied box). It was read with readFileSync: a FIFO
 * there held the command for good (a read that never ends, in the main thread, so SIGTERM's
 * handler never ran either: only SIGKILL ended it). The file is now opened without waiting for a
 * writer (O_NONBLOCK) and read only when it is a regular file of at most 256 KiB, as
 * download-pace.ts reads the same file; anything else is said, with the fix.
 */
function fifoRoot(): string {
  const root = tempDir('bp-engine-config-fifo-');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  expect(spawnSync('mkfifo', [path.join(root, 'etc/blueprint/config.json')]).status).toBe(0);
  return root;
}

describe('a FIFO at ROOT/etc/blueprint/config.json', () => {
  it('status does not hang on it: it ends, naming the file', () => {
    const root = fifoRoot();
    const r = spawnSync(blueprintExe, ['--root', root, 'status'], {
      encoding: 'utf8',
      timeout: 15_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, CONTAINER_HOST: '', DOCKER_HOST: '' },
    });
    expect(r.signal, 'killed after 15 s: it hung').toBeNull();
    expect(r.stdout + r.stderr).toContain('config.json');
  });

  it('chooseSocket refuses it with the fix, without waiting for a writer', () => {
    const file = path.join(fifoRoot(), 'etc/blueprint/config.json');
    expect(() => chooseSocket({}, file)).toThrow(/config\.json.*not a regular file/);
  });
});
