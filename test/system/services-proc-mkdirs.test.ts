import path from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { bundleChild } from '../helpers/node-child.js';
import { expectProcRefusal } from '../helpers/proc-refusal.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * The services layer made its folders with mkdir's own recursion, which retries for ever, at 100 %
 * CPU, where mkdir answers ENOENT for a parent that exists (/proc, a removed folder): the
 * synchronous form inside one call, deaf to a timer. Each must end with ensureDir's storage error
 * instead (test/system/proc-root-mkdirs for the rest of the program). Run in a child, killed after
 * 10 s: a spinning call cannot be stopped inside the test's own process.
 */
const ROOT = '/proc/bp-no-such';
const CALLS: Record<string, string> = {
  'image judged mark': `markImageJudged(ROOT, 'sha256:${'a'.repeat(64)}')`,
  'data owner record': `writeOwner(ROOT, 'hello', { origin: 'main', signer: 'ABCD' })`,
  'token lock folder': 'await underTokenLock(ROOT, async () => 1)',
  'module data folder (service token)': `await openDataDir(ROOT, 'hello')`,
  'wiring run folder': `await openWiring(ROOT + '/run/blueprint')`,
  'used socket folder': `await shareWiring([{ name: 'p', range: '*', version: '1.0.0', socketDir: ROOT + '/run/blueprint/services/p', target: '/run/blueprint/uses/p', socket: 's' }], 4242)`,
};

let script: string;
beforeAll(async () => {
  script = path.join(tempDir('bp-svc-proc-'), 'calls.mjs');
  await bundleChild(
    `
import { markImageJudged } from './src/core/services/image-annotations.ts';
import { writeOwner } from './src/core/services/data-owner.ts';
import { underTokenLock } from './src/core/services/token-lock.ts';
import { openDataDir } from './src/core/services/module-token.ts';
import { openWiring, shareWiring } from './src/core/services/wiring.ts';
const ROOT = ${JSON.stringify(ROOT)};
const calls = {${Object.entries(CALLS)
      .map(([k, v]) => `${JSON.stringify(k)}: async () => { ${v}; }`)
      .join(',\n')}};
try {
  await calls[process.argv[2]]();
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
`,
    script,
  );
}, 60_000);

describe('the services’ folders under /proc end with a storage error', () => {
  for (const name of Object.keys(CALLS))
    it(name, () => {
      expectProcRefusal(script, [name]);
    }, 20_000);
});
