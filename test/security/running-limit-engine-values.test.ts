/**
 * REVIEW11: memory admission counts a running service at the limit its container's engine state
 * gives (HostConfig.Memory, MEMADMIT), a figure someone other than blueprint may set (`podman update
 * --memory`, a container's state written by another tool or engine version). Found sound, pinned:
 * a figure that is no limit (0, negative, fractional, NaN, Infinity, beyond 2^53, a string, absent)
 * is not taken, the plan's limit is counted instead; so none can make admission admit everything
 * (a negative reserve) or refuse everything (NaN or Infinity in the sum). A huge real limit is
 * counted as what it is (root set it; the refusal names the service and its limit).
 */
import { describe, expect, it } from 'vitest';
import { judgeAdmission } from '../../src/core/services/admission.js';
import { type ContainerInfo, runningLimit } from '../../src/core/services/container-info.js';

const withMemory = (Memory: unknown) => ({ HostConfig: { Memory } }) as unknown as ContainerInfo;
const MiB = 1024 ** 2;

describe("a running container's memory limit as its engine states it", () => {
  it('takes a positive whole number of bytes only', () => {
    expect(runningLimit(withMemory(256 * MiB))).toBe(256 * MiB);
    for (const bad of [
      0,
      -1,
      -256 * MiB,
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      1e300,
      '268435456',
      null,
    ])
      expect(runningLimit(withMemory(bad)), String(bad)).toBeUndefined();
    expect(runningLimit({} as ContainerInfo)).toBeUndefined();
  });

  it('admission stays a finite judgement whatever the figures counted', () => {
    const available = 1024 * MiB;
    const huge = judgeAdmission({ name: 'web', needBytes: 64 * MiB }, available, [
      { name: 'llm', limitBytes: 2 ** 52, usageBytes: 0 },
    ]);
    expect([huge.ok, huge.leftBytes]).toEqual([false, 0]);
    // A service using more than its limit (a limit lowered under it) reserves nothing, not less.
    const over = judgeAdmission({ name: 'web', needBytes: 64 * MiB }, available, [
      { name: 'llm', limitBytes: 128 * MiB, usageBytes: 512 * MiB },
    ]);
    expect([over.ok, over.reservedBytes, over.leftBytes]).toEqual([true, 0, available]);
  });
});
