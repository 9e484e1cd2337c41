// `blueprint apply -f` with `system: { version, from }` (issue 21): a fleet's OS version as an A/B
// system update from a repository's system-bundle, against a real RAUC 1.8 service
// (test/update/rauc-sandbox.ts) and a repository signed with a real OpenPGP key. Apply writes the
// other slot; the reboot is the operator's; applying again changes nothing.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { buildRepository } from '../../src/app/publish.js';
import { makeKey, type TestKey, tempDir } from '../helpers/pkg.js';
import { cliIn, RaucSandbox, raucMissing } from '../update/rauc-sandbox.js';

const missing = raucMissing();

describe.skipIf(missing)(`apply -f with system: (real RAUC${missing ? `, skipped: ${missing}` : ''})`, () => {
  const box = new RaucSandbox();
  const work = tempDir('bp-apply-sys-');
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  let key: TestKey;
  const repoDir = path.join(work, 'repo');
  /** Writes appliance.yaml asking for `system`; returns its path. */
  const spec = (system: string) => {
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(
      file,
      `hostname: edge-17\nrepositories:\n  - { name: updates, url: "file://${repoDir}", key: "${key.publicFile}", fingerprint: "${key.fingerprint}" }\nsystem: ${system}\n`,
    );
    return file;
  };
  const apply = (...args: string[]) => cliIn(box.root, '--json', 'apply', ...args);

  beforeAll(async () => {
    await box.start();
    process.env.DBUS_SYSTEM_BUS_ADDRESS = box.env.DBUS_SYSTEM_BUS_ADDRESS;
    key = await makeKey(path.join(work, 'key'), { name: 'Fleet system updates' });
    await buildRepository({
      sources: [box.bundle('2.0.0'), box.bundle('3.0.0')],
      repoDir,
      name: 'updates',
      signer: { keyFile: key.privateFile },
      expiresInDays: 30,
    });
  }, 120_000);
  afterAll(async () => {
    process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    await box.stop();
  });

  it('plans the update (dry run writes nothing), applies it into slot B, and a second apply changes nothing', async () => {
    const file = spec('{ version: 2.0.0, from: updates }');
    const dry = await apply('-f', file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out).changes).toContainEqual({
      action: 'update',
      kind: 'system',
      target: '2.0.0',
      what: 'system 2.0.0 from updates',
      detail: 'running 1.0.0; boots on trial after a reboot',
    });
    expect(box.entries()).toEqual(['blueprint-a.conf']);
    const r = await apply('-f', file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).changed).toContainEqual(
      expect.objectContaining({ kind: 'system', target: '2.0.0' }),
    );
    // The version asked for, not the newest the repository offers (3.0.0).
    expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
    const again = await apply('-f', file);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).changed).toEqual([]);
    expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
  });

  it('after the reboot and the health check the box runs it, and apply still changes nothing', async () => {
    expect(await box.reboot()).toBe('B');
    await openBox(box.root).system.markBooted('good');
    const r = await apply('-f', spec('{ version: 2.0.0, from: updates }'), '--dry-run');
    expect(JSON.parse(r.out).changes).toContainEqual(
      expect.objectContaining({ action: 'unchanged', kind: 'system', detail: 'running' }),
    );
  });

  it('a version that failed its health check is not tried again unless forced; an older one neither', async () => {
    expect((await apply('-f', spec('{ version: 3.0.0, from: updates }'))).code).toBe(0);
    expect(await box.reboot()).toBe('A');
    await openBox(box.root).system.markBooted('bad');
    expect(await box.reboot()).toBe('B');
    const before = box.entries();
    const r = await apply('-f', spec('{ version: 3.0.0, from: updates }'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/system 3\.0\.0 failed its health check .* unless system\.force is true/);
    expect(box.entries()).toEqual(before);
    const forced = await apply('-f', spec('{ version: 3.0.0, from: updates, force: true }'), '--dry-run');
    expect(JSON.parse(forced.out)).toMatchObject({ blocked: [] });
    const older = await apply('-f', spec('{ version: 1.5.0, from: updates }'), '--dry-run');
    expect(older.code).toBe(1);
    expect(JSON.parse(older.out).blocked).toEqual([
      'system 1.5.0 is older than the running 2.0.0; versions only go up unless system.force is true',
    ]);
  });

  it('names a wrong field, and refuses on a box without A/B slots with RAUC’s reason and the fix', async () => {
    const bad = await apply('-f', spec('{ version: latest, from: updates }'), '--dry-run');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/system\.version: must be a semantic version/);
    const plain = tempDir('bp-apply-plain-');
    const r = await cliIn(
      plain,
      '--json',
      'apply',
      '-f',
      spec('{ version: 2.0.0, from: updates }'),
      '--dry-run',
    );
    expect(r.code).toBe(1);
    // What is wrong in the admin's words, and what to do (it was RAUC's reason alone, then beside 'RAUC cannot answer').
    const blocked = JSON.parse(r.out).blocked[0];
    expect(blocked).toMatch(
      /^system: this box has no A\/B slots: RAUC has no configuration \(.*etc\/rauc\/system\.conf is not there\); /,
    );
    expect(blocked).toContain('leave system: out of the file for this box');
  });
});
