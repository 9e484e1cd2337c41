/**
 * `service start C` where C uses A, and A already runs an older version than the one installed (its
 * package upgraded, A not restarted): the line for A and --json's `uses` gave the installed version,
 * not the one that runs and that C now talks to. Now they give the running version, and the
 * installed one beside it (text: with the restart that starts it; --json: installedVersion). The CLI
 * in this process against the real engine (Podman), the hello module as A, upgraded from 1.0.0 to
 * 2.0.0 the way the package transaction runs the hooks (as test/security/rating-same-sandbox does).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceStatus } from '../../src/core/services/status.js';
import { runCliHere } from '../helpers/cli-here.js';
import { buildHello, makeBox, type TestBox, uniqueName } from '../services/helpers.js';

let box: TestBox;
const a = uniqueName('bpt-usedv'); // used by c
const c = uniqueName('bpt-userv');

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(a);
  await box.install(c, {}, { manifest: { uses: [`${a}>=1.0.0,<3.0.0`] } });
}, 300_000);
afterAll(async () => {
  await box?.cleanup();
});

describe('service start of a module whose used module runs an older version', () => {
  it('names the version that runs, and the installed one with the restart that starts it', async () => {
    const first = await runCliHere(['--root', box.root, 'service', 'start', a]);
    expect(first.code, first.err).toBe(0);
    await box.install(a, {}, { version: '2.0.0' }); // the upgrade: 1.0.0's container runs on
    const st = await serviceStatus({ engine: box.engine, root: box.root }, a);
    expect([st.version, st.containerVersion, st.state]).toEqual(['2.0.0', '1.0.0', 'running']);

    const json = await runCliHere(['--root', box.root, '--json', 'service', 'start', c]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      name: c,
      version: '1.0.0',
      alreadyRunning: false,
      uses: [{ name: a, version: '1.0.0', installedVersion: '2.0.0', alreadyRunning: true, healthy: true }],
    });
    const text = await runCliHere(['--root', box.root, 'service', 'start', c]);
    expect(text.code, text.err).toBe(0);
    expect(text.out.trim().split('\n')).toEqual([
      `${a} 1.0.0 was already running (used by ${c}), healthy (2.0.0 is installed: \`blueprint --root ${box.root} service restart ${a}\` starts it)`,
      `${c} 1.0.0 was already running, healthy`,
      `${c}'s API: ${path.join(box.root, 'run/blueprint/services', c, 'hello.sock')}`,
    ]);
  }, 180_000);
});
