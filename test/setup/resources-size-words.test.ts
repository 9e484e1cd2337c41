/**
 * `resources: { memory: 2t }` in apply's file was refused with "must be a size like "512m" or
 * "4g"", which does not say why 2t is not one (no t suffix; the most is 1024g) nor what the bounds
 * are (4m to 1024g, docs/fleet.md): the message names the units and the bounds.
 */
import { describe, expect, it } from 'vitest';
import { specSchema } from '../../src/core/setup/index.js';

const refusal = (memory: string) => {
  const r = specSchema.safeParse({ hostname: 'box-01', modules: [{ name: 'llm', resources: { memory } }] });
  return r.success ? '' : r.error.issues.map((i) => i.message).join('; ');
};

describe('apply resources.memory that is not a size', () => {
  it('names the units and the bounds', () => {
    for (const bad of ['2t', '4 g', 'lots']) {
      const m = refusal(bad);
      expect(m).toContain('k, m or g');
      expect(m).toContain('4m to 1024g');
    }
    expect(refusal('512m')).toBe('');
  });
});
