/**
 * `blueprint service config NAME KEY=VALUE --restart` on a box without the memory for the restart:
 * the settings were written first and the restart memory admission refused after (exit 5), so the
 * new values waited for the next start without a word. Admission is judged first now: refused,
 * nothing is written, the service runs on as it was, and the error says the settings are unchanged.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError } from '../../src/core/services/admission.js';
import { settingsFile } from '../../src/core/services/settings.js';
import { buildHello, makeBox, podman, type TestBox, uniqueName } from './helpers.js';

describe('service config --restart refused by memory admission', () => {
  let box: TestBox | undefined;
  afterAll(async () => {
    await box?.cleanup();
  });

  it('writes nothing and leaves the service running as it was', async () => {
    box = await makeBox(await buildHello());
    const name = uniqueName('bpt-setadm');
    await box.install(name, {
      env: { HELLO_LEVEL: '1' },
      settings: { HELLO_LEVEL: { type: 'integer', min: 1, max: 3, description: 'A level' } },
      resources: { memory: '64m', cpus: 1 },
    });
    const services = openBox(box.root).services;
    const level = async () =>
      JSON.parse(await podman('inspect', '--format', '{{json .Config.Env}}', `blueprint-${name}`)).find(
        (e: string) => e.startsWith('HELLO_LEVEL='),
      );
    await services.configure(name, { set: { HELLO_LEVEL: '2' } });
    await services.start(name);
    expect(await level()).toBe('HELLO_LEVEL=2');
    const before = readFileSync(settingsFile(box.root, name), 'utf8');
    // The box has 16 MiB left: the service's 64 MiB does not fit at its restart.
    mkdirSync(path.join(box.root, 'proc'), { recursive: true });
    writeFileSync(
      path.join(box.root, 'proc/meminfo'),
      'MemTotal:       4194304 kB\nMemFree:  1 kB\nMemAvailable:   16384 kB\n',
    );
    const err = await services.configure(name, { set: { HELLO_LEVEL: '3' }, restart: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${name} needs 0.06 GiB of memory`);
    expect(readFileSync(settingsFile(box.root, name), 'utf8')).toBe(before);
    expect(err.hint).toContain('The settings were not changed');
    // What works leads: config without --restart, then restart's --force (service config has none;
    // the hint offered "start it anyway with --force" first: SETTINGS3's left item).
    expect(err.hint).toMatch(
      new RegExp(
        `^Change them without --restart: \`blueprint service config ${name} HELLO_LEVEL=3\` keeps them for its next start; then \`blueprint service restart ${name} --force\` starts it anyway`,
      ),
    );
    expect(err.hint).not.toMatch(/anyway with --force/);
    expect((await services.status(name)).state).toBe('running');
    expect(await level()).toBe('HELLO_LEVEL=2');
    await services.stop(name);
  }, 180_000);

  it('judges the restart with the new values: a setting that grows the memory is refused', async () => {
    box ??= await makeBox(await buildHello());
    const name = uniqueName('bpt-setgrow');
    // 64 MiB at HELLO_LEVEL=1, 64 MiB more per level above it (resources.memoryPerSetting).
    await box.install(name, {
      env: { HELLO_LEVEL: '1' },
      settings: { HELLO_LEVEL: { type: 'integer', min: 1, max: 3, description: 'A level' } },
      resources: { memory: '64m', cpus: 1, memoryPerSetting: { of: ['HELLO_LEVEL'], bytes: '64m' } },
    });
    const services = openBox(box.root).services;
    mkdirSync(path.join(box.root, 'proc'), { recursive: true });
    // 100 MiB left: level 1 (64 MiB) restarts, level 2 (128 MiB) does not.
    writeFileSync(
      path.join(box.root, 'proc/meminfo'),
      'MemTotal:       4194304 kB\nMemFree:  1 kB\nMemAvailable:   102400 kB\n',
    );
    await services.start(name);
    const err = await services.configure(name, { set: { HELLO_LEVEL: '2' }, restart: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${name} needs 0.13 GiB of memory`);
    expect(existsSync(settingsFile(box.root, name))).toBe(false);
    expect((await services.status(name)).state).toBe('running');
    await services.stop(name);
  }, 180_000);
});
