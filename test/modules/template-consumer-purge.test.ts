import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldModule } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';

// A community provider that keeps data per consumer opts in to consumer purges with
// socket.consumerPurge (docs/module-wiring.md, "A consumer's data, purged"). The scaffold's
// manifest.md, which explains the manifest field by field, named clientTokens but not
// consumerPurge, so an author following it never learnt the field or the kit's helpers for it
// (QA15's walk). Its own kit/ must hold those helpers too (test/kit/template.test.ts).
const work = tempDir('bp-mod-purge-');
afterAll(() => rm(work, { recursive: true, force: true }));

describe('blueprint module new: consumer purges', () => {
  it('manifest.md says how a provider opts in, and the kit/ it writes has the helpers it names', async () => {
    const made = await scaffoldModule('keeper', join(work, 'keeper'));
    const doc = readFileSync(join(made.dir, 'manifest.md'), 'utf8');
    const row = doc.split('\n').find((l) => l.startsWith('| `socket` |'))!;
    expect(row).toContain('consumerPurge: true');
    expect(row).toContain('applyPurgeRecords');
    expect(row).toContain('onPurgeSignal');
    expect(row).toContain('BLUEPRINT_PURGE_DIR');
    expect(row).toContain("A consumer's data, purged");
    const index = readFileSync(join(made.dir, 'kit/index.ts'), 'utf8');
    expect(index).toMatch(/applyPurgeRecords/);
    expect(index).toMatch(/onPurgeSignal/);
  });
});
