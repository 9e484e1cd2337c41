/**
 * How the built executable starts Node (issue 20, cold start): what its SEA configuration asks
 * (scripts/build.mjs) and what dist/blueprint does with it. Not timed: `npm run bench -- pkg` times
 * the start.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The names of a live process's threads (Linux /proc). */
function threadNames(pid: number): string[] {
  const dir = `/proc/${pid}/task`;
  return readdirSync(dir).map((t) => {
    try {
      return readFileSync(path.join(dir, t, 'comm'), 'utf8').trim();
    } catch {
      return '';
    }
  });
}

describe('the executable starts Node', () => {
  it('with two V8 helper threads, not four: Node waits for each to run before it goes on', async () => {
    const config = JSON.parse(readFileSync(path.join(root, 'dist/bundle/sea-config.json'), 'utf8'));
    // And young-generation semi-spaces of 2 MB from the start (bpkg search's one scavenge, ~1 ms).
    // --expose-internals: crypto-lite.ts reaches Node's crypto binding without loading node:crypto.
    // --no-concurrent-sparkplug: baseline code compiled on the main thread, no helper woken for each
    // batch (most of a command's helper wake-ups; the caches still taken: the case below).
    expect(config.execArgv).toEqual([
      '--v8-pool-size=2',
      '--min-semi-space-size=2',
      '--expose-internals',
      '--no-concurrent-sparkplug',
      '--disable-sigusr1',
    ]);
    // A command that waits on its standard input (a key read from `-`) stays alive to be looked at.
    // Its input is a FIFO that nobody writes: /dev/stdin on the socket a 'pipe' gives cannot be opened.
    const box = tempDir('bp-start-threads-');
    const fifo = path.join(box, 'stdin');
    execFileSync('mkfifo', [fifo]);
    const input = openSync(fifo, constants.O_RDWR);
    const child = spawn(blueprintExe, ['--root', path.join(box, 'root'), 'pkg', 'key', 'add', '-'], {
      stdio: [input, 'ignore', 'ignore'],
    });
    try {
      let names: string[] = [];
      // Reading stdin runs on libuv's thread pool: once a libuv-worker is there, start-up is over.
      for (let i = 0; i < 200 && !names.includes('libuv-worker'); i++) {
        await sleep(25);
        names = threadNames(child.pid!);
      }
      expect(names).toContain('libuv-worker');
      expect(names.filter((n) => n === 'V8Worker')).toHaveLength(2);
      // --disable-sigusr1: no thread waiting for SIGUSR1 to open an inspector in a root process.
      expect(names).toContain('MainThread');
      expect(names).not.toContain('SignalInspector');
    } finally {
      child.kill('SIGKILL');
      closeSync(input);
    }
  });

  it('answers `--json version` with nothing on stderr: the code cache is taken under those options', () => {
    const r = spawnSync(blueprintExe, ['--json', 'version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // Node warns "Code cache data rejected" when the cache does not fit its V8 flags.
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ version: expect.any(String), node: process.versions.node });
  });
});
