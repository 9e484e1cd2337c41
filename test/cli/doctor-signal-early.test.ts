/**
 * SIGTERM to `blueprint doctor` before it asks the engine (while `podman --version` runs, which a
 * loaded box takes a while to answer): the signal aborted the command's signal, but the engine
 * call made after it is not cut (a command's tidying up must still reach the engine), so against
 * an engine that never answers doctor waited the whole 30 s read deadline and then reported the
 * engine silent (exit 6), long after `timeout` or systemd had asked it to stop (seen as a flake of
 * test/cli/engine-wedged's doctor case under load). Doctor is a look with nothing to tidy: it ends
 * at the signal before asking the engine, 143. A fake `podman` on PATH that takes 2 s to answer.
 */
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

let server: Server;
let sock: string;
const held: Socket[] = [];

beforeAll(async () => {
  sock = path.join(tempDir('bp-doctor-early-'), 'podman.sock');
  server = createServer((c) => {
    held.push(c);
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(() => {
  for (const c of held) c.destroy();
  server.close();
});

it('SIGTERM while doctor runs `podman --version` ends it with 143, without waiting on the engine', async () => {
  const bin = tempDir('bp-doctor-early-bin-');
  writeFileSync(path.join(bin, 'podman'), '#!/bin/sh\nsleep 2\necho "podman version 4.3.1"\n');
  chmodSync(path.join(bin, 'podman'), 0o755);
  const t0 = Date.now();
  const child = spawn(blueprintExe, ['--root', tempDir('bp-doctor-early-root-'), 'doctor'], {
    env: { PATH: `${bin}:/usr/bin:/bin`, CONTAINER_HOST: `unix://${sock}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const term = setTimeout(() => child.kill('SIGTERM'), 800);
  const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.on('close', (c, s) => r([c, s])),
  );
  clearTimeout(term);
  clearTimeout(kill);
  expect(signal, err).toBe(null);
  expect(code, err).toBe(143);
  expect(err).toContain('Interrupted by SIGTERM');
  expect(Date.now() - t0).toBeLessThan(8000);
}, 20_000);
