import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import {
  AdmissionError,
  judgeAdmission,
  parseMeminfo,
  procMeminfo,
} from '../../src/core/services/admission.js';
import { parseService } from '../../src/core/services/schema.js';
import { image, register as registerModule } from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';
import { podman, uniqueName } from './helpers.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const meminfo = (totalKb: number, availableKb: number) =>
  [
    `MemTotal:       ${totalKb} kB`,
    'MemFree:          123456 kB',
    `MemAvailable:   ${availableKb} kB`,
    'Buffers:           10240 kB',
    'HugePages_Total:       0',
    'Hugepagesize:       2048 kB',
    '',
  ].join('\n');

describe('memory admission: the figures', () => {
  it('reads MemTotal and MemAvailable from /proc/meminfo text (kB)', () => {
    expect(parseMeminfo(meminfo(8 * 1024 * 1024, 3 * 1024 * 1024))).toEqual({
      totalBytes: 8 * GiB,
      availableBytes: 3 * GiB,
    });
  });

  it('refuses meminfo without MemAvailable (a kernel before 3.14, a broken file)', () => {
    expect(() => parseMeminfo('MemTotal: 1000 kB\nMemFree: 10 kB\n')).toThrow(/MemAvailable/);
  });

  it("this host's meminfo parses (the reader a box uses)", async () => {
    const m = await procMeminfo('/').read();
    expect(m.availableBytes).toBeGreaterThan(0);
    expect(m.availableBytes).toBeLessThanOrEqual(m.totalBytes);
  });

  it('a service fits when its limit is at most what is left', () => {
    expect(judgeAdmission({ name: 'llm', needBytes: 2 * GiB }, 2 * GiB, []).ok).toBe(true);
    expect(judgeAdmission({ name: 'llm', needBytes: 2 * GiB + 1 }, 2 * GiB, []).ok).toBe(false);
  });

  it('running services hold what their limits still allow them to take, not what they use', () => {
    const v = judgeAdmission({ name: 'llm', needBytes: 2 * GiB }, 4 * GiB, [
      // May grow by 768 MiB more.
      { name: 'embeddings', limitBytes: 1 * GiB, usageBytes: 256 * MiB },
      // Use unknown: its whole limit is held.
      { name: 'vectors', limitBytes: 1 * GiB, usageBytes: null },
      // Above its limit (page cache counted): holds nothing more, never a negative amount.
      { name: 'hello', limitBytes: 64 * MiB, usageBytes: 80 * MiB },
    ]);
    expect(v.reservedBytes).toBe(768 * MiB + 1 * GiB);
    expect(v.leftBytes).toBe(4 * GiB - 768 * MiB - 1 * GiB);
    expect(v.ok).toBe(true);
    const tight = judgeAdmission({ name: 'llm', needBytes: 3 * GiB }, 4 * GiB, v.running);
    expect(tight.ok).toBe(false);
    expect(
      judgeAdmission({ name: 'x', needBytes: 1 }, 1 * GiB, [
        { name: 'y', limitBytes: 2 * GiB, usageBytes: 0 },
      ]),
    ).toMatchObject({ ok: false, leftBytes: 0 });
  });

  it('the refusal gives both numbers, the running services and what to do', () => {
    const err = new AdmissionError(
      judgeAdmission({ name: 'llm', needBytes: 6 * GiB }, 5 * GiB, [
        { name: 'embeddings', limitBytes: 1 * GiB, usageBytes: 512 * MiB },
      ]),
    );
    expect(err.message).toBe(
      'llm needs 6.00 GiB of memory (its limit), and the box has 4.50 GiB left (5.00 GiB available, ' +
        '0.50 GiB of it held for running services; running: embeddings limit 1.00 GiB (uses 0.50 GiB))',
    );
    expect(err.hint).toMatch(/blueprint service stop NAME/);
    expect(err.hint).toMatch(/smaller model/);
    // The console and the dashboard show this hint too, and have no --force of their own: the
    // whole command, as the admin would type it in a shell (HINTS' left item).
    expect(err.hint).toContain('start it anyway with `blueprint service start llm --force`');
    expect(err.exitCode).toBe(5);
    expect(err.toJSON()).toMatchObject({
      code: 'memory-admission',
      admission: { needBytes: 6 * GiB, leftBytes: 4.5 * GiB },
    });
  });
});

// `service start` through the application layer, on the real Podman engine, with a box whose
// meminfo (ROOT/proc/meminfo) says 1 GiB is available: nothing reaches the engine but lookups.
describe('memory admission at service start', () => {
  const root = tempDir('bp-admission-');
  const big = uniqueName('big');
  const dep = uniqueName('dep');
  const small = uniqueName('small');

  const register = (name: string, memory: string, uses: string[] = []) =>
    registerModule(
      root,
      name,
      parseService({
        image,
        resources: { memory },
        ...(memory === '2g' ? { justification: { 'resources.memory': 'test' } } : {}),
      }),
      uses,
    );

  it('refuses a service whose limit exceeds what is left, and creates nothing', async () => {
    mkdirSync(path.join(root, 'proc'), { recursive: true });
    writeFileSync(path.join(root, 'proc/meminfo'), meminfo(4 * 1024 * 1024, 1024 * 1024));
    await register(big, '2g');
    const box = openBox(root);
    const err = await box.services.start(big).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${big} needs 2.00 GiB of memory`);
    expect(err.message).toContain('the box has 1.00 GiB left (1.00 GiB available');
    // Nothing was created: no container, no socket folder, no log folder, no seccomp profile.
    expect(await podman('ps', '-a', '--filter', `name=^blueprint-${big}$`, '--format', '{{.Names}}')).toBe(
      '',
    );
    expect(existsSync(path.join(root, 'run/blueprint/services', big))).toBe(false);
    expect(existsSync(path.join(root, 'var/log/blueprint'))).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/blueprint/services/seccomp.json'))).toBe(false);
    // A restart is judged the same way before it stops anything.
    await expect(box.services.restart(big)).rejects.toThrow(/needs 2\.00 GiB/);
  });

  it('counts the modules it uses that would start with it', async () => {
    await register(dep, '512m');
    await register(small, '768m', [dep]);
    const err = await openBox(root)
      .services.start(small)
      .catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${small} needs 1.25 GiB of memory (its limit with ${dep}, which it uses)`);
    expect(err.verdict.alsoStarting).toEqual([dep]);
  });
});
