/**
 * The lock of the consumer tokens (core/services/token-lock.ts) between processes. It was
 * system/lock.ts's pid file: created empty, then the pid written, so a process that found it in
 * between read no pid and took a live lock over; and a takeover removed the name it had judged
 * stale, by then perhaps a newer holder's. Four processes taking the lock in a loop, each checking
 * in the lock that no one else is in (a file made O_EXCL there, removed on leaving), found another
 * inside 74 times in 4 s before the fix (11-25 per process). A lock left by a dead process is still
 * taken over; a live holder's is waited for.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { underTokenLock } from '../../src/core/services/token-lock.js';
import { layout } from '../../src/core/system/paths.js';
import { bundleChild, runNode as run } from '../helpers/node-child.js';
import { tempDir } from '../setup/temp-registry.js';

const CHILD = `
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { underTokenLock } from './src/core/services/token-lock.ts';
import { layout } from './src/core/system/paths.ts';
const root = process.argv[2];
const until = Date.now() + Number(process.argv[3]);
const marker = path.join(layout(root).stateDir, 'inside');
let overlaps = 0;
let rounds = 0;
while (Date.now() < until) {
  await underTokenLock(root, async () => {
    rounds++;
    const fh = await open(marker, 'wx').catch(() => undefined);
    if (!fh) { overlaps++; return; }
    await fh.close();
    await new Promise((r) => setTimeout(r, 1));
    await unlink(marker);
  });
}
console.log(JSON.stringify({ overlaps, rounds }));
`;

describe('the consumer tokens lock between processes', () => {
  it('is held by one process at a time', async () => {
    const dir = tempDir('token-lock-');
    const child = path.join(dir, 'child.mjs');
    await bundleChild(CHILD, child);
    const root = path.join(dir, 'root');
    mkdirSync(root);
    const outs = await Promise.all([1, 2, 3, 4].map(() => run([child, root, '3000'])));
    const results = outs.map((o) => JSON.parse(o) as { overlaps: number; rounds: number });
    expect(results.every((r) => r.rounds > 0)).toBe(true);
    expect(results.map((r) => r.overlaps)).toEqual([0, 0, 0, 0]);
  }, 30_000);

  it("takes a dead process's lock over and waits for a live one's", async () => {
    const root = tempDir('token-lock-');
    const file = path.join(layout(root).stateDir, 'client-tokens.lock');
    mkdirSync(path.dirname(file), { recursive: true });
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(file, String(dead.pid));
    await expect(underTokenLock(root, async () => 'ran')).resolves.toBe('ran');

    const live = spawn('sleep', ['30']);
    await new Promise((r) => live.on('spawn', r));
    writeFileSync(file, String(live.pid));
    let ran = false;
    const held = underTokenLock(root, async () => {
      ran = true;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(ran).toBe(false);
    live.kill('SIGKILL');
    await held;
    expect(ran).toBe(true);
  }, 30_000);
});
