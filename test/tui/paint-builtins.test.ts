import { expect, it } from 'vitest';
import { paintWithProbe } from './paint-probe.js';

// Records process.moduleLoadList from the console's first START_FLAGS flag to the Dashboard drawn.
const PROBE = `const v8 = require('node:v8'), fs = require('node:fs'), set = v8.setFlagsFromString;
let from;
v8.setFlagsFromString = (f) => { if (f === '--no-opt' && from === undefined) from = process.moduleLoadList.length; return set(f); };
const write = process.stdout.write;
let done = false;
process.stdout.write = function (chunk, ...rest) {
  if (!done && /Exposure/.test(String(chunk).replace(/\\x1b\\[[0-9;?]*[A-Za-z]/g, ''))) {
    done = true;
    fs.writeFileSync(process.env.BP_PROBE_OUT, JSON.stringify(from === undefined ? null : process.moduleLoadList.slice(from)));
  }
  return write.call(this, chunk, ...rest);
};
`;

// Node's own, for the first import.meta of an ES module and the `process` built-in (the process
// object itself): nothing to compile worth a cache.
const EXPECTED = ['NativeModule internal/modules/esm/initialize_import_meta', 'NativeModule process'];

it('loads no built-in between its V8 flags and the Dashboard drawn', async () => {
  // BP_PAINT_EXE: another build to check (the one before the fix loaded 60 modules there).
  const result = await paintWithProbe(PROBE, 'bp-paint-builtins-');
  const loaded = result as string[] | null;
  expect(loaded).not.toBeNull();
  expect(loaded?.filter((m) => !EXPECTED.includes(m))).toEqual([]);
});
