import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../src/core/services/lifecycle.js';
import { buildHello, type HelloBuild, makeBox, type TestBox, uniqueName } from './helpers.js';

let build: HelloBuild;
let box: TestBox;
const name = uniqueName('bpt-sandbox');

beforeAll(async () => {
  build = await buildHello();
  box = await makeBox(build);
  await box.install(name);
});
afterAll(async () => {
  await box?.cleanup();
});

describe('the hello module in the sandbox', () => {
  it('starts and becomes healthy over its unix socket', async () => {
    const r = await startService({ engine: box.engine, root: box.root }, name);
    expect(r.healthy).toBe(true);
  });
});
