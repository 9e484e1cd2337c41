import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { planFor } from '../../src/core/services/lifecycle.js';
import { purgeModuleData } from '../../src/core/services/module-data.js';
import { findRegistration } from '../../src/core/services/registry.js';
import { parseService } from '../../src/core/services/schema.js';
import { settingsFile } from '../../src/core/services/settings.js';
import { image, register as registerModule } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';
import { buildHello, makeBox, podman, quietHook, type TestBox, uniqueName } from './helpers.js';

// A manifest's `service.settings` names the env variables the admin may change; `service config`
// keeps the admin's values in ROOT/etc/blueprint/settings/NAME.json and the next start gives them
// to the container, only those declared and within their bounds.
const settings = {
  PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests served at once' },
  MODE: { type: 'enum', values: ['fast', 'small'], description: 'How it runs' },
  KIT_ORIGINS: { type: 'origins', description: 'Browser origins let in' },
};
const spec = (declared: Record<string, unknown> = settings) =>
  parseService({ image, env: { PARALLEL: '1', OTHER: 'kept' }, settings: declared });

describe('module settings, planned', () => {
  const root = tempDir('bp-settings-');
  const name = uniqueName('set');
  const deps = () => ({ engine: undefined as never, root });
  const reg = async () => (await findRegistration(root, name))!;
  const env = async () => {
    const e = (await planFor(deps(), await reg())).spec.env as Record<string, string>;
    return { PARALLEL: e.PARALLEL, MODE: e.MODE, KIT_ORIGINS: e.KIT_ORIGINS, OTHER: e.OTHER };
  };
  const box = () => openBox(root).services;

  it('gives the container the admin’s values, the defaults otherwise', async () => {
    await registerModule(root, name, spec());
    expect(await env()).toEqual({ PARALLEL: '1', OTHER: 'kept' });
    const c = await box().configure(name, { set: { PARALLEL: '4', KIT_ORIGINS: 'chrome-extension://abc' } });
    expect(c.changed).toBe(true);
    expect(JSON.parse(readFileSync(settingsFile(root, name), 'utf8'))).toEqual({
      PARALLEL: '4',
      KIT_ORIGINS: 'chrome-extension://abc',
    });
    expect(await env()).toEqual({ PARALLEL: '4', KIT_ORIGINS: 'chrome-extension://abc', OTHER: 'kept' });
    await box().configure(name, { unset: ['PARALLEL'] });
    expect(await env()).toEqual({ PARALLEL: '1', KIT_ORIGINS: 'chrome-extension://abc', OTHER: 'kept' });
    const v = await box().config(name);
    expect(v.settings.find((s) => s.key === 'PARALLEL')).toMatchObject({
      default: '1',
      effective: '1',
      allowed: 'a whole number from 1 to 8',
    });
  });

  it.each([
    [
      'an undeclared key',
      { OTHER: 'x' },
      /has no setting OTHER \(its settings: PARALLEL, MODE, KIT_ORIGINS\)/,
    ],
    ['a sandbox field', { BLUEPRINT_SOCKET: '/tmp/x' }, /has no setting BLUEPRINT_SOCKET/],
    // Names every object has (REVIEW6): looked up as declared, they crashed the judge ("a bug in blueprint").
    ['a name every object has', { toString: 'x' }, /has no setting toString/],
    ['__proto__', JSON.parse('{"__proto__": "x"}'), /has no setting __proto__/],
    ['a number past its max', { PARALLEL: '9' }, /PARALLEL must be a whole number from 1 to 8/],
    ['not a number', { PARALLEL: '2x' }, /PARALLEL must be a whole number from 1 to 8/],
    ['a value not listed', { MODE: 'huge' }, /MODE must be one of fast, small/],
    ['an origin with a path', { KIT_ORIGINS: 'http://a.example/x' }, /is not an exact origin/],
    ['a wildcard within a site list', { KIT_ORIGINS: 'http://*.example' }, /is not an exact origin/],
    ['* beside others', { KIT_ORIGINS: '*,http://a.example' }, /\* stands alone/],
  ])('refuses %s, naming what is allowed, and writes nothing', async (_, set, message) => {
    const before = readFileSync(settingsFile(root, name), 'utf8');
    const err = await box()
      .configure(name, { set: { MODE: 'fast', ...set } })
      .catch((e) => e);
    expect(err.code).toBe('usage');
    expect(err.message).toMatch(message);
    expect(readFileSync(settingsFile(root, name), 'utf8')).toBe(before);
  });

  it('keeps each of three changes made at once', async () => {
    await box().configure(name, { unset: ['PARALLEL', 'MODE', 'KIT_ORIGINS'] });
    await Promise.all([
      box().configure(name, { set: { PARALLEL: '5' } }),
      box().configure(name, { set: { MODE: 'small' } }),
      box().configure(name, { set: { KIT_ORIGINS: 'http://10.0.0.5:3000' } }),
    ]);
    expect(JSON.parse(readFileSync(settingsFile(root, name), 'utf8'))).toEqual({
      PARALLEL: '5',
      MODE: 'small',
      KIT_ORIGINS: 'http://10.0.0.5:3000',
    });
  });

  it('reports a setting an upgrade no longer declares, and does not apply it', async () => {
    await box().configure(name, { set: { MODE: 'small' } });
    // The next version declares MODE no more, and PARALLEL only up to 2.
    await registerModule(
      root,
      name,
      spec({ PARALLEL: { ...settings.PARALLEL, max: 2 }, KIT_ORIGINS: settings.KIT_ORIGINS }),
    );
    await box().configure(name, { set: { PARALLEL: '2' } });
    writeFileSync(settingsFile(root, name), JSON.stringify({ PARALLEL: '5', MODE: 'small' }));
    const v = await box().config(name);
    expect(v.stale).toEqual([
      { key: 'PARALLEL', value: '5', why: `${name} 1.0.0: it must be a whole number from 1 to 2` },
      { key: 'MODE', value: 'small', why: `${name} 1.0.0 does not declare it` },
    ]);
    expect(await env()).toEqual({ PARALLEL: '1', OTHER: 'kept' });
    // --unset takes a key it no longer declares.
    await box().configure(name, { unset: ['MODE', 'PARALLEL'] });
    expect((await box().config(name)).stale).toEqual([]);
  });

  it.each([
    ['not JSON', (f: string) => writeFileSync(f, '{ PARALLEL: 2')],
    ['a symbolic link', (f: string) => symlinkSync(path.join(root, 'elsewhere.json'), f)],
  ])('refuses a start with a settings file that is %s, naming the file', async (_, make) => {
    writeFileSync(path.join(root, 'elsewhere.json'), '{ "PARALLEL": "2" }');
    rmSync(settingsFile(root, name), { force: true });
    make(settingsFile(root, name));
    const err = await planFor(deps(), await reg()).catch((e) => e);
    expect(err.code).toBe('settings-invalid');
    expect(err.hint).toContain(settingsFile(root, name));
    rmSync(settingsFile(root, name));
  });
});

describe('module settings, purged', () => {
  it('bpkg remove --purge takes them with the data folder', async () => {
    const root = tempDir('bp-settings-purge-');
    const name = uniqueName('set');
    await registerModule(root, name, spec());
    await openBox(root).services.configure(name, { set: { PARALLEL: '2' } });
    expect(existsSync(settingsFile(root, name))).toBe(true);
    await purgeModuleData(root, name);
    expect(existsSync(settingsFile(root, name))).toBe(false);
  });
});

describe('module settings on the real engine', () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it("reaches the container's environment at the restart, not before", async () => {
    box = await makeBox(await buildHello());
    const name = uniqueName('bpt-set');
    await box.install(name, {
      env: { HELLO_LEVEL: '1' },
      settings: { HELLO_LEVEL: { type: 'integer', min: 1, max: 3, description: 'A level' } },
    });
    const services = openBox(box.root).services;
    const level = async () =>
      JSON.parse(await podman('inspect', '--format', '{{json .Config.Env}}', `blueprint-${name}`)).find(
        (e: string) => e.startsWith('HELLO_LEVEL='),
      );
    await services.start(name);
    expect(await level()).toBe('HELLO_LEVEL=1');
    const c = await services.configure(name, { set: { HELLO_LEVEL: '3' } });
    expect(c.running).toBe(true); // said: it applies at the next restart
    expect(await level()).toBe('HELLO_LEVEL=1');
    // `service inspect`: the next start's value, and the one it runs with until then.
    expect((await services.inspect(name)).settings?.rows[0]).toMatchObject({
      key: 'HELLO_LEVEL',
      value: '3',
      effective: '3',
      running: '1',
    });
    const r = await services.configure(name, { set: { HELLO_LEVEL: '2' }, restart: true });
    expect(r.restarted?.name).toBe(name);
    expect(await level()).toBe('HELLO_LEVEL=2');
    const refused = await services.configure(name, { set: { HELLO_LEVEL: '4' } }).catch((e) => e);
    expect(refused.message).toContain('HELLO_LEVEL must be a whole number from 1 to 3');
    await services.stop(name);
    expect(existsSync(settingsFile(box.root, name))).toBe(true);
    // An upgrade that no longer declares it says so; the next start does not apply it.
    const hook = quietHook();
    await box.install(name, { env: {} }, { version: '2.0.0', hook });
    expect(hook.warnings).toContain(
      `${name}: the setting HELLO_LEVEL=2 is not applied (${name} 2.0.0 does not declare it); \`blueprint service config ${name} --unset HELLO_LEVEL\` removes it`,
    );
    await services.start(name);
    expect(await level()).toBeUndefined();
    await services.stop(name);
  }, 240_000);
});
