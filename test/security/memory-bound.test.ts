import { describe, expect, it } from 'vitest';
import { BlueprintError, ExitCode } from '../../src/core/errors.js';
import { createServiceHooks } from '../../src/core/services/hooks.js';
import { parseService } from '../../src/core/services/schema.js';
import { specSchema } from '../../src/core/setup/index.js';
import { sshPublicKey } from '../setup/helpers.js';

// Issue 11, finding 8: `resources.memory` had no upper bound, so `4096g` was accepted.
const base = { image: { id: `sha256:${'a'.repeat(64)}` } };
const withMemory = (memory: unknown) => ({ ...base, resources: { memory } });
const GiB = 1024 ** 3;

function refusal(service: unknown): BlueprintError {
  try {
    parseService(service);
  } catch (err) {
    expect(err).toBeInstanceOf(BlueprintError);
    return err as BlueprintError;
  }
  throw new Error('accepted');
}

describe('resources.memory has an upper bound (1 TiB)', () => {
  it('refuses 4096g with a message naming the field and the bound', () => {
    const err = refusal(withMemory('4096g'));
    expect(err.exitCode).toBe(ExitCode.verification);
    expect(err.code).toBe('bad-service');
    expect(err.message).toMatch(/service\.resources\.memory/);
    expect(err.message).toMatch(/at most 1024g \(1 TiB\)/);
  });

  it('refuses just over the bound, in every spelling: 1025g, 1048577m, bytes', () => {
    expect(refusal(withMemory('1025g')).message).toMatch(/at most 1024g/);
    expect(refusal(withMemory('1048577m')).message).toMatch(/at most 1024g/);
    expect(refusal(withMemory(1024 * GiB + 1)).message).toMatch(/at most 1024g/);
    expect(refusal(withMemory(Number.MAX_SAFE_INTEGER)).message).toMatch(/at most 1024g/);
  });

  it('accepts 512m, 64g and exactly 1 TiB, and keeps the 4m floor', () => {
    expect(parseService(withMemory('512m')).resources.memory).toBe(512 * 1024 ** 2);
    expect(parseService(withMemory('64g')).resources.memory).toBe(64 * GiB);
    expect(parseService(withMemory('1024g')).resources.memory).toBe(1024 * GiB);
    expect(parseService(withMemory(1024 * GiB)).resources.memory).toBe(1024 * GiB);
    expect(parseService(base).resources.memory).toBe(256 * 1024 ** 2);
    expect(refusal(withMemory('1m')).message).toMatch(/at least 4m/);
  });

  it('is refused at install: the package hook that validates manifests throws', () => {
    const hooks = createServiceHooks({ root: '/nonexistent-root' });
    const manifest = { name: 'big', version: '1.0.0', service: withMemory('4096g') };
    expect(() => hooks.validateManifest?.(manifest as never)).toThrow(/at most 1024g/);
    expect(() =>
      hooks.validateManifest?.({ ...manifest, service: withMemory('64g') } as never),
    ).not.toThrow();
  });
});

describe('setup and apply files: a module override has the same bound', () => {
  const overrideMemory = (memory: string) =>
    specSchema.safeParse({
      hostname: 'box-01',
      timezone: 'UTC',
      users: [{ name: 'admin', keys: [sshPublicKey('ops@laptop')] }],
      modules: [{ name: 'hello', resources: { memory } }],
    });

  it('refuses 4096g and 1025g, accepts 64g and 512m', () => {
    for (const bad of ['4096g', '1025g', String(2 * 1024 ** 4)]) {
      const r = overrideMemory(bad);
      expect(r.success, bad).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain('at most 1024g');
    }
    for (const good of ['64g', '512m', '1024g']) expect(overrideMemory(good).success, good).toBe(true);
  });

  it("keeps the manifest's 4m floor: apply refuses what the service's next start would refuse", () => {
    for (const bad of ['1k', '0', '3m', String(4 * 1024 ** 2 - 1)]) {
      const r = overrideMemory(bad);
      expect(r.success, bad).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain('at least 4m');
    }
    for (const good of ['4m', String(4 * 1024 ** 2)]) expect(overrideMemory(good).success, good).toBe(true);
  });
});
