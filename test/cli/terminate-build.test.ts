/**
 * SIGTERM (systemd stopping a unit, `kill PID`, a CI runner's timeout) to `repo build`, which never
 * takes the abort signal. Unlike Ctrl-C, which the terminal sends to the whole foreground process
 * group, SIGTERM reaches blueprint alone: before, it exited at once and left its build.sh (and the
 * `sleep` that build.sh ran) running as orphans, and its work folder (bpkg-build-* under TMPDIR)
 * behind. Now it ends its children's process groups, removes its temporary files and exits 143
 * (128 + SIGTERM), saying so. The real executable; a module whose build.sh waits.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, GOOD, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { signalledBuild } from '../helpers/signalled-build.js';

describe('SIGTERM to a build', () => {
  it('ends build.sh and what it runs, removes its temporary files, exits 143 saying so', async () => {
    const r = await signalledBuild(false);
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('error: Interrupted by SIGTERM');
    expect(r.err).toMatch(/^hint: /m);
    expect(r.left).toEqual({ sh: false, sleep: false });
    expect(r.ended).toBe(false);
    expect(r.tmpLeft).toEqual([]);
    // Nothing half-made in the repository: no index, no package on its way in.
    expect(existsSync(path.join(r.repo, 'index.json'))).toBe(false);
    expect(existsSync(path.join(r.repo, 'pool', '.incoming'))).toBe(false);
  });

  it('--json: the error document, exit 143', async () => {
    const r = await signalledBuild(true);
    expect(r.code, r.err).toBe(143);
    expect(JSON.parse(r.out)).toEqual({ error: expect.objectContaining({ code: 'interrupted' }) });
    expect(r.left).toEqual({ sh: false, sleep: false });
    expect(r.tmpLeft).toEqual([]);
  });
});

describe('a hangup to a build (its terminal closed, its ssh session gone)', () => {
  it('ends build.sh and what it runs, removes its temporary files, and goes as SIGHUP has it', async () => {
    // The terminal's SIGHUP reaches its foreground process group: blueprint, not the tools it runs
    // in their own groups (3b0d929), which ran on as orphans.
    const r = await signalledBuild(false, 'SIGHUP', true);
    expect(r.code, r.err).toBe('SIGHUP');
    expect(r.left).toEqual({ sh: false, sleep: false });
    expect(r.ended).toBe(false);
    expect(r.tmpLeft).toEqual([]);
    expect(existsSync(path.join(r.repo, 'pool', '.incoming'))).toBe(false);
  });
});

describe('SIGTERM to a command that stops between its steps', () => {
  it('bpkg update waiting on a repository that never answers: it stops, exit 143 (not 130)', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const root = await trustingRoot(key, repo);
    // Accepts connections and never answers; says when the update's request has come.
    let asked: () => void = () => {};
    const reached = new Promise<void>((r) => (asked = r));
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer(() => asked());
    server.on('connection', (c) => sockets.push(c));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const add = spawn(
        blueprintExe,
        ['--root', root, 'repo', 'add', 'slow', url, '--key', key.fingerprint],
        {
          argv0: 'bpkg',
          stdio: 'ignore',
        },
      );
      expect(await new Promise((r) => add.on('close', r))).toBe(0);
      const child = spawn(blueprintExe, ['--root', root, 'update'], {
        argv0: 'bpkg',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await reached;
      child.kill('SIGTERM');
      expect(await closed, err).toBe(143);
      expect(err).toContain('Interrupted by SIGTERM');
    } finally {
      for (const c of sockets) c.destroy();
      server.close();
    }
  });
});
