// The one operation the TUI (key 7) and the web dashboard both call for `system update FILE |
// --from REPO | rollback` (issue 21): box.system.act, against a real RAUC 1.8 service.
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { UsageError } from '../../src/core/errors.js';
import { raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();

describe.skipIf(missing)(`box.system.act${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const box = raucForSuite();
  const system = () => openBox(box.root).system;

  it('a file: installs the bundle into the other slot and says so as an install', async () => {
    const r = await system().act({ kind: 'file', file: box.bundle('2.0.0') });
    expect(r.kind).toBe('install');
    expect(r.kind === 'install' && r.result).toMatchObject({
      from: '1.0.0',
      bundle: { version: '2.0.0' },
      slot: { bootname: 'B', next: true },
    });
    expect(box.entries()).toEqual(['blueprint-a.conf', 'blueprint-b+3.conf']);
  });

  it('rollback: the running slot boots next again, said as a rollback', async () => {
    const r = await system().act({ kind: 'rollback' });
    expect(r).toMatchObject({ kind: 'rollback', slot: { bootname: 'A', next: true } });
    expect(box.entries()[0]).toBe('blueprint-a.conf');
    expect(await box.reboot()).toBe('A');
  });

  it('a repository: refused with a usage error when none is named, before RAUC is asked', async () => {
    await expect(system().act({ kind: 'repo', repo: '' })).rejects.toBeInstanceOf(UsageError);
    await expect(system().act({ kind: 'file', file: '' })).rejects.toBeInstanceOf(UsageError);
  });
});
