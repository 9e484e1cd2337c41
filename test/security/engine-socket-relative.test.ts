import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseSocket } from '../../src/core/services/engine.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/**
 * `CONTAINER_HOST=unix://run/podman/podman.sock` (two slashes, a typo of unix:///run/…) named a
 * socket relative to the working directory: blueprint, run as root from /, reached Podman, and
 * from /tmp whatever listened at /tmp/run/podman/podman.sock, a folder anyone can write: an
 * engine API is root-equivalent, and one a user serves gets the box's containers and their
 * mounts described to it. config.json's engine.socket was refused unless absolute already; the
 * variables now are too, with the three-slash spelling as the fix. `unix://` with no path at all
 * was "ok" in doctor, then "connect EINVAL".
 */
describe('an engine socket that is not an absolute path', () => {
  it('chooseSocket refuses a relative or empty unix:// path, naming the fix', () => {
    for (const name of ['CONTAINER_HOST', 'DOCKER_HOST'])
      for (const v of ['unix://run/podman/podman.sock', 'unix://', 'unix://./podman.sock'])
        expect(() => chooseSocket({ [name]: v })).toThrow(
          expect.objectContaining({
            code: 'engine-socket-relative',
            message: expect.stringContaining(`${name}=${v}`),
            hint: expect.stringContaining(`${name}=unix:///run/podman/podman.sock`),
          }),
        );
    expect(chooseSocket({ CONTAINER_HOST: 'unix:///run/podman/podman.sock' }).path).toBe(
      '/run/podman/podman.sock',
    );
  });

  it('doctor, run from a folder holding a socket at that relative path, never connects to it', async () => {
    const cwd = tempDir('bp-engine-relative-');
    const root = tempDir('bp-engine-relative-root-');
    mkdirSync(path.join(cwd, 'run/podman'), { recursive: true });
    let reached = 0;
    const fake = net.createServer((s) => {
      reached++;
      s.destroy();
    });
    await new Promise<void>((r) => fake.listen(path.join(cwd, 'run/podman/podman.sock'), r));
    try {
      // Not spawnSync: the fake engine in this process must be free to answer.
      const c = spawn(blueprintExe, ['--root', root, 'doctor'], {
        cwd,
        env: { ...process.env, CONTAINER_HOST: 'unix://run/podman/podman.sock', DOCKER_HOST: '' },
      });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => c.on('close', r));
      const r = { code, out };
      expect(reached).toBe(0);
      expect(r.code).toBe(6);
      expect(r.out).toMatch(
        /FAIL engine socket: CONTAINER_HOST=unix:\/\/run\/podman\/podman\.sock is not an absolute path/,
      );
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });
});
