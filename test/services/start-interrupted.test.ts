import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, openBox } from '../../src/app/index.js';
import { type ProxiedBox, proxiedBox } from './engine-proxy.js';
import { podman, uniqueName } from './helpers.js';

/**
 * Ctrl-C during `blueprint service start` once the container was started (the wait for its health
 * check): the error said 'Interrupted by SIGINT' with 'Nothing was changed; run the command again.'
 * while the service was running. It says the service was started and is left running, and how to
 * see it or stop it. The Ctrl-C comes when the start request reaches the engine (a proxy in front
 * of the real Podman API, as in start-path.test.ts): the order is the test's, not the clock's.
 */
let setup: ProxiedBox;
let onStart: () => void = () => {};
const name = uniqueName('bpt-startint');

beforeAll(async () => {
  setup = await proxiedBox(
    [name],
    (b) => b.install(name),
    (req) => {
      if (req.method === 'POST' && /\/containers\/[^/]+\/start/.test(req.url ?? '')) onStart();
      return false;
    },
  );
}, 120_000);

afterAll(() => setup?.cleanup());

describe('service start interrupted while waiting for health', () => {
  it('says the service is left running and how to stop it, not that nothing changed', async () => {
    const env = setup.proxy.env;
    const services = openBox(setup.box.root, { env }).services;
    const abort = new AbortController();
    onStart = () => abort.abort(new InterruptedError('Interrupted by SIGINT'));
    const err = await services.start(name, { signal: abort.signal }).catch((e) => e);
    onStart = () => {};
    expect(err).toMatchObject({ code: 'interrupted', exitCode: 130 });
    expect(err.hint).not.toMatch(/Nothing was changed/);
    expect(err.hint).toContain(`blueprint service stop ${name}`);
    const state = (await podman('inspect', '--format', '{{.State.Status}}', `blueprint-${name}`)).trim();
    expect(state).toBe('running');
  }, 120_000);
});
