/**
 * One malformed version range in a manifest's `uses` or `depends` gave three errors (QA9's walk:
 * `"hello>>1"` read "must look like…", "each version in a range must be a semantic version" and "no
 * version can satisfy this range"): the later checks ran on a range the first had refused, and said
 * nothing the first had not. Each mistake now gives one error, the one that names it.
 */
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/core/pkg/format.js';

const base = { format: 1, name: 'app', version: '1.0.0', arch: 'all', summary: 'an app' };

/** The messages for one list entry of `depends` or `uses`. */
function messages(field: 'depends' | 'uses', dep: string): string[] {
  const r = manifestSchema.safeParse({ ...base, [field]: [dep] });
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('a malformed range in depends or uses', () => {
  for (const field of ['depends', 'uses'] as const) {
    it(`${field}: a range that does not parse is one error, saying how a range looks`, () => {
      for (const dep of ['hello>>1', 'hello@1.0', 'hello>=1.0', 'hello >= 1.2.3,'])
        expect(messages(field, dep), dep).toEqual([
          `${field}.0: must look like "name", "name>=1.2.3" or "name>=1.0.0,<2.0.0" (comparators separated by commas)`,
        ]);
    });

    it(`${field}: a version that is not semantic is one error, saying so`, () => {
      expect(messages(field, 'hello>=1.2.3x')).toEqual([
        `${field}.0: each version in a range must be a semantic version like 1.2.3`,
      ]);
    });

    it(`${field}: a range that holds no version is one error`, () => {
      expect(messages(field, 'hello>=2.0.0,<1.0.0')).toEqual([
        `${field}.0: no version can satisfy this range`,
      ]);
    });
  }
});
