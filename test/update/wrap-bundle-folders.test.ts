import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBundle } from '../../src/core/update/from-repo.js';
import { bundleChild } from '../helpers/node-child.js';
import { expectProcRefusal } from '../helpers/proc-refusal.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * `repo build X.raucb --repo DIR` wraps the bundle in DIR/.bundles-PID (wrapBundle). Its folders
 * were made by mkdir's own recursion, which retries for ever, at 100 % CPU, where mkdir answers
 * ENOENT for a parent that exists (/proc: `--repo /proc/x/r`). It now ends with ensureDir's
 * storage error. Run in a child killed after 10 s: a spinning call cannot be stopped in-process.
 */
const info = readFileSync(new URL('fixtures/rauc-1.8-info.json', import.meta.url), 'utf8');
const rauc = { run: async () => ({ code: 0, stdout: info, stderr: '' }) };

let script: string;
beforeAll(async () => {
  script = path.join(tempDir('bp-wrap-proc-'), 'wrap.mjs');
  await bundleChild(
    `
import { wrapBundle } from './src/core/update/from-repo.ts';
const rauc = { run: async () => ({ code: 0, stdout: ${JSON.stringify(info)}, stderr: '' }) };
try {
  await wrapBundle(rauc, process.argv[2], '/proc/bp-no-such/r/.bundles-1');
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
`,
    script,
  );
}, 60_000);

describe('wrapBundle’s folders', () => {
  it('made in a repository folder: the source folder with the bundle and its manifest', async () => {
    const file = path.join(tempDir('bp-wrap-'), 'x.raucb');
    writeFileSync(file, 'bundle');
    const repo = path.join(tempDir('bp-wrap-'), 'new', 'repo');
    const source = await wrapBundle(rauc as never, file, path.join(repo, '.bundles-1'));
    expect(readFileSync(path.join(source, 'payload', 'bundle.raucb'), 'utf8')).toBe('bundle');
    expect(existsSync(path.join(source, 'manifest.json'))).toBe(true);
  });

  it('under /proc: a storage error, not a spin', () => {
    const file = path.join(tempDir('bp-wrap-'), 'x.raucb');
    writeFileSync(file, 'bundle');
    expectProcRefusal(script, [file]);
  }, 30_000);
});
