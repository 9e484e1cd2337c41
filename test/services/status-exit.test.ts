/**
 * Issue 14, finding 6: `service status NAME` answers in its exit code, as `systemctl is-active` and
 * the LSB `status` action do, so scripts and Ansible can test it: 0 running (healthy, or without a
 * health check), 150 running but unhealthy, 3 not running, 4 not installed. The built executable
 * against the real engine (Podman), the hello module.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_STATUS_EXIT, serviceStatusExit } from '../../src/app/service-exit.js';
import type { ServiceStatus } from '../../src/core/services/status.js';
import { run } from '../helpers/pkg.js';
import { buildHello, cli, makeBox, type TestBox, uniqueName } from './helpers.js';

const s = (state: string, health: ServiceStatus['health']) => ({ state, health });

describe('the exit code of service status (pure)', () => {
  it('maps state and health the way systemctl is-active and LSB status do', () => {
    expect(SERVICE_STATUS_EXIT).toEqual({ active: 0, inactive: 3, notInstalled: 4, unhealthy: 150 });
    expect(serviceStatusExit(s('running', 'healthy'))).toBe(0);
    expect(serviceStatusExit(s('running', 'none'))).toBe(0);
    expect(serviceStatusExit(s('running', 'unhealthy'))).toBe(150);
    for (const state of ['exited', 'stopped', 'created', 'configured', 'not created', 'paused', 'stopping'])
      expect(serviceStatusExit(s(state, 'none')), state).toBe(3);
  });
});

let box: TestBox;
const good = uniqueName('bpt-st-good');
const bare = uniqueName('bpt-st-bare');
const sick = uniqueName('bpt-st-sick');
const crashy = uniqueName('bpt-st-crash');
const never = uniqueName('bpt-st-never');

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(good);
  await box.install(bare, { health: undefined });
  await box.install(sick, { health: { http: '/not-health', startTimeout: 1 } });
  await box.install(crashy, { command: ['crash'], health: undefined });
  await box.install(never);
}, 180_000);
afterAll(async () => {
  await box?.cleanup();
});

const status = (name: string) => cli(box.root, ['service', 'status', name]);

describe('blueprint service status NAME exit codes (built executable, real engine)', () => {
  it('0 running and healthy, 0 running without a health check; --json has the state', async () => {
    expect((await cli(box.root, ['service', 'start', good])).code).toBe(0);
    const r = await status(good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ name: good, state: 'running', health: 'healthy' });
    expect((await cli(box.root, ['service', 'start', bare])).code).toBe(0);
    expect(await status(bare)).toMatchObject({ code: 0, json: { state: 'running', health: 'none' } });
  });

  it('150 running but unhealthy', async () => {
    expect((await cli(box.root, ['service', 'start', sick, '--no-wait'])).code).toBe(0);
    const r = await status(sick);
    expect(r.json).toMatchObject({ state: 'running', health: 'unhealthy' });
    expect(r.code).toBe(150);
  });

  it('3 stopped by the admin, exited on its own, or never started', async () => {
    expect((await cli(box.root, ['service', 'stop', good])).code).toBe(0);
    expect(await status(good)).toMatchObject({ code: 3, json: { state: 'exited', exitCode: 0 } });
    expect((await cli(box.root, ['service', 'start', crashy])).code).toBe(0);
    for (let i = 0; i < 100 && (await status(crashy)).json.state !== 'exited'; i++) await sleep(100);
    expect(await status(crashy)).toMatchObject({ code: 3, json: { state: 'exited', exitCode: 3 } });
    expect(await status(never)).toMatchObject({ code: 3, json: { state: 'not created' } });
  });

  it('4 not installed, with the error in --json and a hint', async () => {
    const r = await status('no-such-service');
    expect(r.code).toBe(4);
    expect(r.json).toMatchObject({ error: { code: 'not-found' } });
    expect(r.stderr).toContain('hint:');
  });

  it('the exit codes are in --help', async () => {
    const r = await run(['service', 'status', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/150/);
    expect(r.stdout).toMatch(/\b3\b.*not running/);
    expect(r.stdout).toMatch(/\b4\b.*not installed/);
  });

  it('without NAME it lists every service and exits 0 whatever their state', async () => {
    const r = await cli(box.root, ['service', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as unknown as { name: string }[]).map((x) => x.name)).toContain(sick);
  });
});
