/**
 * How many threads `blueprint service start` makes (issue 20, service start beside busy loops).
 * libuv makes its thread pool at the first asynchronous fs call, and the main thread waits until
 * every pool thread has run once: on a box whose cores are busy, each new thread first waits for a
 * core. Structural, not timed: `npm run bench -- services` times the start.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

const threadNames = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).map((t) => {
    try {
      return readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

describe('service start', () => {
  it('reads its files through a thread pool of two, not libuv’s four', async () => {
    // An engine that accepts and never answers holds the start at its inspect, after the
    // registration read has made the pool.
    const dir = tempDir('bp-start-threads-');
    const sock = path.join(dir, 'engine.sock');
    const silent = net.createServer(() => {});
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(sock, resolve));
    const { UV_THREADPOOL_SIZE: _, ...env } = process.env;
    const child = spawn(blueprintExe, ['--root', path.join(dir, 'root'), 'service', 'start', 'hello'], {
      stdio: 'ignore',
      env: { ...env, CONTAINER_HOST: `unix://${sock}` },
    });
    try {
      let names: string[] = [];
      for (let i = 0; i < 400 && !names.includes('libuv-worker'); i++) {
        await sleep(25);
        names = threadNames(child.pid!);
      }
      expect(names).toContain('libuv-worker');
      await sleep(200); // the pool's threads are made together; give the last one time to be named
      expect(threadNames(child.pid!).filter((n) => n === 'libuv-worker')).toHaveLength(2);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
