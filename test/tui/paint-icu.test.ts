import { expect, it } from 'vitest';
import { paintWithProbe } from './paint-probe.js';

const PROBE = `const fs = require('node:fs');
let made = 0;
const Real = Intl.Segmenter;
Intl.Segmenter = new Proxy(Real, { construct(t, a, n) { made++; return Reflect.construct(t, a, n); } });
const write = process.stdout.write;
let done = false;
process.stdout.write = function (chunk, ...rest) {
  if (!done && /Exposure/.test(String(chunk).replace(/\\x1b\\[[0-9;?]*[A-Za-z]/g, ''))) {
    done = true;
    fs.writeFileSync(process.env.BP_PROBE_OUT, JSON.stringify({ made }));
  }
  return write.call(this, chunk, ...rest);
};
`;

it('starts no Intl.Segmenter to draw the Dashboard', async () => {
  // BP_PAINT_EXE: another build to check (the one before made its first at the first layout).
  const result = await paintWithProbe(PROBE, 'bp-paint-icu-');
  expect(result).toEqual({ made: 0 });
});
