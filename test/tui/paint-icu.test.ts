/**
 * Issue 20, TUI first paint: ICU's grapheme segmenter is not started to draw a Dashboard whose text
 * is all in text-width's fast ranges (ASCII, box drawing, symbols). The first Intl.Segmenter of a
 * process loads ICU's data: 20-27 ms of the console's ~250 ms of CPU to the paint over SSH (a probe
 * timing the constructor, `npm run bench -- tui-ssh`'s box). Ink's line-update, string-width, wrap-ansi,
 * cli-truncate, slice-ansi and ansi-tokenize each made one as they loaded; in the console part they take
 * src/tui/graphemes.ts's, which starts ICU only for text outside those ranges
 * (test/tui/graphemes.test.ts holds it to Intl.Segmenter's answers). Checked on the executable,
 * with a probe counting Intl.Segmenter's constructions up to the Dashboard drawn. Not timed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { exe, Pane, requireExe } from './tmux.js';

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
  const program = process.env.BP_PAINT_EXE ?? exe;
  if (!process.env.BP_PAINT_EXE) requireExe();
  const dir = tempDir('bp-paint-icu-');
  writeFileSync(path.join(dir, 'probe.cjs'), PROBE);
  const out = path.join(dir, 'made.json');
  mkdirSync(path.join(dir, 'root'));
  const p = new Pane([program, '--root', path.join(dir, 'root'), 'tui'], {
    width: 120,
    height: 40,
    env: { NODE_OPTIONS: `--require ${path.join(dir, 'probe.cjs')}`, BP_PROBE_OUT: out, HOME: dir },
  });
  try {
    await p.waitFor(/Exposure\s+firewall/);
    p.keys('C-c');
    await p.waitFor('EXIT=0');
  } finally {
    p.kill();
  }
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ made: 0 });
});
