import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitSources } from '../../modules/kit/sync-template.js';
import { scaffoldModule } from '../../src/core/modules/index.js';
import { kitFiles } from '../../src/core/modules/template/kit-files.js';
import { call } from '../embeddings/helpers.js';
import { bundleScaffoldServer } from '../helpers/scaffold-bundle.js';
import { tempDir } from '../setup/temp-registry.js';

const work = tempDir('kit-tpl-');

describe('blueprint module new: a server on the kit', () => {
  it('carries the current kit (run `node modules/kit/sync-template.ts` when this fails)', () => {
    expect(kitFiles).toEqual(kitSources());
  });

  it('scaffolds a server that bundles, serves on the kit and stops cleanly', async () => {
    const made = await scaffoldModule('kit-demo', join(work, 'kit-demo'));
    expect(made.files).toContain('kit/server.ts');
    const bundle = join(work, 'server.mjs');
    await bundleScaffoldServer(made.dir, bundle);
    const socket = join(work, 'api.sock');
    let log = '';
    const child = spawn('prlimit', ['--nofile=1024:1024', '--', process.execPath, bundle], {
      env: { PATH: process.env.PATH, BLUEPRINT_SOCKET: socket },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (c) => {
      log += c;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      for (let i = 0; !/listening on/.test(log); i++) {
        if (i > 200 || child.exitCode !== null) throw new Error(`did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await call(socket, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await call(socket, 'GET', '/')).body).toEqual({ hello: 'from kit-demo' });
      expect((await call(socket, 'POST', '/work', { text: 'abc' })).body).toEqual({
        length: 3,
        upper: 'ABC',
      });
      const bad = await call(socket, 'POST', '/work', { text: 1 });
      expect(bad).toMatchObject({ status: 400, body: { error: { message: "'text' must be a string" } } });
      expect((await call(socket, 'POST', '/work', 'x'.repeat(70_000))).status).toBe(413);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toMatch(/SIGTERM: finishing open requests/);
  });
});
