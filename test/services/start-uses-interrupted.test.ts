import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { type ProxiedBox, proxiedBox } from './engine-proxy.js';
import { podman, type TestBox, uniqueName } from './helpers.js';

/**
 * Ctrl-C during `blueprint service start C` while C's used module A (`uses: [A]`) is being started:
 * the answer said A was started and is left running, but not that C itself was not started, so the
 * admin could think the command had done its job. The real executable, on real Podman; the Ctrl-C
 * (SIGINT to the process) comes when A's start request reaches a proxy in front of the engine: the
 * order is the test's, not the clock's.
 */
let setup: ProxiedBox;
let child: ChildProcess | undefined;
const a = uniqueName('bpt-usea');
const c = uniqueName('bpt-usec');

beforeAll(async () => {
  const install = async (b: TestBox) => {
    await b.install(a);
    await b.install(c, {}, { manifest: { uses: [a] } });
  };
  setup = await proxiedBox([c, a], install, (req) => {
    if (req.method === 'POST' && req.url?.endsWith(`/containers/blueprint-${a}/start`)) child?.kill('SIGINT');
    return false;
  });
}, 180_000);

afterAll(() => setup?.cleanup());

function startC(json: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['--root', setup.box.root, ...(json ? ['--json'] : []), 'service', 'start', c];
    const p = spawn(blueprintExe, args, { env: { ...setup.proxy.env, PATH: '/usr/bin:/bin' } });
    child = p;
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const state = async (n: string) =>
  (await podman('inspect', '--format', '{{.State.Status}}', `blueprint-${n}`).catch(() => 'absent')).trim();

describe('service start interrupted while a used module starts', () => {
  it('says the used module is left running and that the service itself was not started', async () => {
    const r = await startC(false);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`${a} was started and is left running`);
    expect(r.stderr).toContain(`${c} was not started`);
    expect(r.stderr).toContain(`blueprint --root ${setup.box.root} service start ${c}`);
    expect(r.stderr).not.toMatch(/Nothing was changed/);
    expect(await state(a)).toBe('running');
    // Nothing of c is half-made: no container (it is created only after what it uses is up).
    expect(await state(c)).toBe('absent');
  }, 120_000);

  it('--json: one error document saying the same', async () => {
    await podman('stop', '-t', '2', `blueprint-${a}`);
    const r = await startC(true);
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
    expect(doc.error.code).toBe('interrupted');
    expect(`${doc.error.message} ${doc.error.hint}`).toContain(`${c} was not started`);
    expect(doc.error.hint).toContain(`blueprint --root ${setup.box.root} service stop ${a}`);
    expect(await state(c)).toBe('absent');
  }, 120_000);
});
