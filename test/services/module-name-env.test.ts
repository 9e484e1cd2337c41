import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../src/core/services/lifecycle.js';
import { buildHello, makeBox, type TestBox, uniqueName } from './helpers.js';

// BLUEPRINT_MODULE (docs/module-wiring.md): every module's process gets its own name on the box,
// as the hello module's process reads it inside its real Podman sandbox; a manifest's env that
// names the variable does not change it (a module installed as `rag-fr` cannot pass for `rag`).

let box: TestBox;
const plain = uniqueName('bpt-me');
const claims = uniqueName('bpt-mf');

const envIn = async (name: string, variable: string) => {
  const r = await promisify(execFile)('podman', [
    'exec',
    `blueprint-${name}`,
    '/hello',
    'env',
    variable,
  ]).catch((e: { stdout: string }) => e);
  return (JSON.parse(r.stdout) as { env: string | null }).env;
};

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(plain);
  // A manifest that sets the variable itself, as if to pass for another module.
  await box.install(claims, { env: { BLUEPRINT_MODULE: 'rag', HELLO_OTHER: 'kept' } });
  for (const n of [plain, claims])
    expect((await startService({ engine: box.engine, root: box.root }, n)).healthy).toBe(true);
}, 300_000);
afterAll(async () => {
  await box?.cleanup();
});

describe('BLUEPRINT_MODULE: a module learns its own name from the runtime', () => {
  it("a module's process sees its name on the box", async () => {
    expect(await envIn(plain, 'BLUEPRINT_MODULE')).toBe(plain);
  });

  it("a manifest's env cannot set it: the runtime's name wins, the manifest's other variables stay", async () => {
    expect(await envIn(claims, 'BLUEPRINT_MODULE')).toBe(claims);
    expect(await envIn(claims, 'HELLO_OTHER')).toBe('kept');
  });
});
