import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * Runs `script` (a Node program that prints its call's outcome as JSON) with `args`, killed after
 * 10 s: a folder made under /proc must end with the storage error, not spin (Node's recursive
 * mkdir loops for ever where mkdir answers ENOENT for a parent that exists).
 */
export function expectProcRefusal(script: string, args: string[]): void {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  });
  expect(r.signal, 'killed after 10 s (spinning)').toBeNull();
  expect(JSON.parse(r.stdout)).toEqual({
    code: 'not-writable',
    message: expect.stringContaining('/proc cannot hold folders'),
  });
}
