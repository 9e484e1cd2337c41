import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldModule } from '../../src/core/modules/index.js';
import { tempDir } from '../helpers/pkg.js';
import { podman, uniqueName } from '../services/helpers.js';

// A community author writes a provider and a consumer that `uses` it, each made by `blueprint
// module new`, in folders side by side (docs/module-wiring.md, "Declaring it"). The consumer's
// test.sh built only the consumer into its throw-away repository, so its install stopped at
// 'No package PROVIDER (needed by CONSUMER) in the verified indexes' (QA15's walk: notes-ui using
// notes). Now it builds each used module from the folder of its name next to it, and removes them
// all at the end: real Podman, through the executable.
const provider = uniqueName('bpt-prov');
const consumer = uniqueName('bpt-cons');
const work = tempDir('bp-mod-uses-');
const env = {
  PATH: `${path.resolve(import.meta.dirname, '../../node_modules/.bin')}:/usr/sbin:/usr/bin:/sbin:/bin`,
  BLUEPRINT: path.resolve(import.meta.dirname, '../../dist/blueprint'),
};
afterAll(() => rm(work, { recursive: true, force: true }));

describe("a consumer's test.sh", () => {
  it('builds the modules it uses from the folders next to it, installs, starts and removes them all', async () => {
    await scaffoldModule(provider, path.join(work, provider));
    const made = await scaffoldModule(consumer, path.join(work, consumer));
    const mf = path.join(made.dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(mf, 'utf8'));
    writeFileSync(mf, JSON.stringify({ ...manifest, uses: [`${provider}>=0.1.0,<1.0.0`] }, null, 2));
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('sh', [path.join(made.dir, 'test.sh')], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`installed ${provider} 0.1.0`);
    expect(result.out).toContain(`${consumer}: test passed`);
    for (const name of [provider, consumer])
      expect(await podman('ps', '-a', '-q', '--filter', `label=org.blueprintos.module=${name}`)).toBe('');
  });
});
