/**
 * A service's CPUs become a CFS quota of cpus × 100,000 µs a period (services/policy.ts), and the
 * kernel takes no quota under 1 ms: Podman refuses the container ("CPU cfs quota cannot be less than
 * 1ms (i.e. 1000)", HTTP 500; seen on this machine's Podman). The manifest schema, apply's
 * `resources: { cpus }` and the overrides file took any positive figure (0.001, 1e-9), so such a
 * service was installed or configured and then could not start, with the engine's error. Each now
 * refuses a figure under 0.01 when it is read (REVIEW12).
 */
import { describe, expect, it } from 'vitest';
import { parseOverrides } from '../../src/core/services/overrides.js';
import { serviceSchema } from '../../src/core/services/schema.js';
import { moduleSchema } from '../../src/core/setup/schema.js';

const manifestService = (cpus: number) => ({
  image: { id: `sha256:${'a'.repeat(64)}` },
  resources: { cpus },
});

describe('cpus under the kernel quota floor (0.01)', () => {
  it.each([0.001, 0.005, 1e-9])('%s: refused by the overrides file, apply and the manifest', (cpus) => {
    expect(() => parseOverrides('/etc/blueprint/overrides/hello.json', JSON.stringify({ cpus }))).toThrow(
      /cpus/,
    );
    expect(moduleSchema.safeParse({ name: 'hello', resources: { cpus } }).success).toBe(false);
    const manifest = serviceSchema.safeParse(manifestService(cpus));
    expect(manifest.success).toBe(false);
  });

  it.each([0.01, 0.5, 2])('%s: taken', (cpus) => {
    expect(parseOverrides('/etc/blueprint/overrides/hello.json', JSON.stringify({ cpus })).cpus).toBe(cpus);
    expect(moduleSchema.safeParse({ name: 'hello', resources: { cpus } }).success).toBe(true);
    const manifest = serviceSchema.safeParse(manifestService(cpus));
    expect(manifest.success, JSON.stringify(manifest.error?.issues)).toBe(true);
  });
});
