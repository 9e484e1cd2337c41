/**
 * A setting that changes what a module needs in memory (llm's LLM_CONTEXT and LLM_PARALLEL: its KV
 * cache is their product times a figure of the model): memory admission judged the manifest's limit
 * whatever the settings, so a raised context was admitted and then refused when the model loaded
 * (the container's limit unchanged too). A manifest declares it now (`resources.memoryPerSetting`):
 * the limit grows by those bytes per unit of the settings' product over their defaults', and both the
 * container's limit and admission take it; an admin's own memory override still wins.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { AdmissionError } from '../../src/core/services/admission.js';
import { parseService } from '../../src/core/services/schema.js';
import { uniqueName } from './helpers.js';
import { boxWith200MiB, llmShaped, plannedLimit } from './llm-shaped.js';

const MiB = 1024 ** 2;
// A name of its own: admission asks the engine about a container of this name.
const name = uniqueName('bpt-llmmem');
// 64 MiB at the defaults, 16 KiB more per token of context per sequence.
const spec = (extra: Record<string, unknown> = {}) => parseService({ ...llmShaped('16k', 512), ...extra });
const box = () => boxWith200MiB('bp-settings-memory-', name, spec());
const limit = (root: string) => plannedLimit(root, name);

describe('a setting that changes the memory a module needs', () => {
  it('grows the container limit and is judged by admission with it', async () => {
    const root = await box();
    const services = openBox(root).services;
    expect(await limit(root)).toBe(64 * MiB);
    // 8192 × 2 = 16,384 units: 4 × the default's 4,096, so 12,288 × 16 KiB = 192 MiB more.
    await services.configure(name, { set: { LLM_CONTEXT: '8192', LLM_PARALLEL: '2' } });
    expect(await limit(root)).toBe(256 * MiB);
    const err = await services.start(name).catch((e) => e);
    expect(err).toBeInstanceOf(AdmissionError);
    expect(err.message).toContain(`${name} needs 0.25 GiB of memory`);
    // A smaller context than the default: the publisher's figure stays (never below it).
    await services.configure(name, { set: { LLM_CONTEXT: '1024', LLM_PARALLEL: '1' } });
    expect(await limit(root)).toBe(64 * MiB);
  });

  it("leaves an admin's memory override as it is", async () => {
    const root = await box();
    mkdirSync(path.join(root, 'etc/blueprint/overrides'), { recursive: true });
    writeFileSync(path.join(root, `etc/blueprint/overrides/${name}.json`), '{ "memory": "128m" }\n');
    await openBox(root).services.configure(name, { set: { LLM_CONTEXT: '8192' } });
    expect(await limit(root)).toBe(128 * MiB);
  });

  it.each([
    [{ of: ['LLM_NOPE'], bytes: '1k' }, 'LLM_NOPE is not an integer setting'],
    [{ of: [], bytes: '1k' }, ''],
  ])('refuses %j in a manifest', (memoryPerSetting, why) => {
    expect(() => spec({ resources: { memory: '64m', memoryPerSetting } })).toThrow(why);
  });
});
