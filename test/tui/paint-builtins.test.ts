/**
 * Issue 20, TUI first paint: the console sets V8 flags before it loads Ink (src/tui/runtime.ts,
 * START_FLAGS), and V8 takes a code cache only under the flags it was made with. Node's built-ins
 * carry one made under its defaults, so a built-in loaded after those flags is compiled from source
 * (about three times the CPU). Checked here on the executable: from the flags to the Dashboard
 * drawn, no built-in module is loaded beyond the two Node loads for the command part's own ES
 * modules; node:crypto (the Dashboard's encryption read), node:util's lazy properties
 * (esbuild's view of the module), child_process (Ink's terminal-size), perf_hooks (React's
 * scheduler) and node:assert (Ink's signal-exit) were. Not timed: `npm run bench -- tui-ssh` is.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { exe, Pane, requireExe } from './tmux.js';

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
  const program = process.env.BP_PAINT_EXE ?? exe;
  if (!process.env.BP_PAINT_EXE) requireExe();
  const dir = tempDir('bp-paint-builtins-');
  writeFileSync(path.join(dir, 'probe.cjs'), PROBE);
  const out = path.join(dir, 'loaded.json');
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
  const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[] | null;
  expect(loaded).not.toBeNull();
  expect(loaded?.filter((m) => !EXPECTED.includes(m))).toEqual([]);
});
