// The SEA's code cache, made after a run of the start part instead of from a compile that ran
// nothing (issue 20, cold start). Node's `useCodeCache` compiles the main script once at build time
// and serialises what that compile made: the top level and nothing else, since V8 compiles each inner
// function when it is first called. So every `--json version` compiled runCli, createContext,
// splitGlobals, esbuild's __toESM helpers... again (~25 functions, ~0.7 ms of the ~2 ms the start
// part costs). Here a child of the same Node binary compiles the main script exactly as Node's SEA
// loader does (CompileFunction with the CommonJS wrapper's five parameters), runs it as the
// executable would run a command, and at exit compiles it again: V8's per-isolate compilation cache
// hands back the same function, now holding what the run compiled, and that cache replaces Node's in
// the blob. V8 checks a cache against its version, its flags and the source's length (the source is
// the same file, checked below), and Node warns "Code cache data rejected" and compiles as before
// when it does not fit (test/perf/executable-start.test.ts).
//
// Measured instead, not kept (paired CPU, 60 runs, docs/figures.md): V8's explicit compile hints
// (`//# allFunctionsCalledOnLoad`) are not followed through Node's APIs (same cache size with and
// without); every function of the main compiled eagerly (--no-lazy for the build compile only) made
// a 447 KB cache whose loading cost more than it saved (+1.7 ms over `node -e 0`, cold +1.1, after a
// run +0.3-0.5). For the lazy part, which a service command mostly runs, eager is the better one
// (eagerCodeCache).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** The parameters Node's CommonJS loader (and so its SEA main) compiles a script's function with. */
const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname'];

/** The commands whose start-part functions the cache holds compiled: what every start runs. */
export const WARM_RUNS = [['--json', 'version']];

/**
 * Runs `mainPath` under `nodeBinary` once for each argv of `runs` and returns the V8 code cache of the
 * main script afterwards. The child's environment is empty and its output discarded: what the cache
 * holds depends on the program, not on the builder's shell.
 */
export function warmCodeCache(nodeBinary, mainPath, runs = WARM_RUNS) {
  return inChild(nodeBinary, (out, input) => ['--child', mainPath, input, out], runs);
}

/**
 * The code cache of `file` compiled as a function of `wrapper`'s parameters with every function in
 * it compiled (V8's --no-lazy for that one compile; the cache is made with the flags as they were, so
 * it fits the executable's). For the lazy part (scripts/build-lazy-part.mjs): a service command calls
 * most of it, and `service start` took 2.4-3.6 ms less CPU (paired medians, 15 and 21 starts, load
 * 2-6) with it than with a cache of its modules' top levels (102 KB; this one is 282 KB).
 */
export function eagerCodeCache(nodeBinary, file, wrapper) {
  return inChild(nodeBinary, (out) => ['--eager', file, wrapper.join(','), out], [[]]);
}

function inChild(nodeBinary, args, runs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-code-cache-'));
  try {
    let cache = '-';
    runs.forEach((argv, i) => {
      const out = path.join(dir, `${i}.cache`);
      execFileSync(nodeBinary, [fileURLToPath(import.meta.url), ...args(out, cache), '--', ...argv], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {},
        cwd: dir,
        timeout: 60_000,
      });
      cache = out;
    });
    return readFileSync(cache);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MAGIC = 0x0143da20;
const USE_CODE_CACHE = 1 << 2;

/**
 * The SEA preparation blob `blob` with its code cache replaced by `cache`. The layout is Node's
 * (src/node_sea.cc: magic, flags, the exec-argv byte, then the main's path, its code and the code
 * cache, each a 64-bit length and its bytes); the path and code must be `mainPath` and `mainSource`
 * exactly, else this throws rather than pair a cache with other source.
 */
export function replaceCodeCache(blob, mainPath, mainSource, cache) {
  if (blob.readUInt32LE(0) !== MAGIC) throw new Error('SEA blob: unknown magic (Node changed its format?)');
  if (!(blob.readUInt32LE(4) & USE_CODE_CACHE)) throw new Error('SEA blob: made without useCodeCache');
  let off = 9;
  const field = () => {
    const at = off;
    const n = Number(blob.readBigUInt64LE(off));
    off += 8 + n;
    if (off > blob.length) throw new Error('SEA blob: a field runs past the end');
    return { at, bytes: blob.subarray(at + 8, off) };
  };
  if (!field().bytes.equals(Buffer.from(mainPath))) throw new Error('SEA blob: not the main script built');
  if (!field().bytes.equals(mainSource)) throw new Error('SEA blob: its code is not the main script built');
  const old = field();
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(cache.length));
  return Buffer.concat([blob.subarray(0, old.at), length, cache, blob.subarray(off)]);
}

// The child: compile as Node's SEA loader does (taking the previous run's cache, if any), run the
// program with `argv` as a command line, and at exit write the cache of what is compiled by then.
function child([mainPath, input, output, dashes, ...argv]) {
  if (dashes !== '--') throw new Error('usage: build-code-cache.mjs --child MAIN IN|- OUT -- ARGV...');
  const source = readFileSync(mainPath, 'utf8');
  const options = { filename: mainPath };
  if (input !== '-') options.cachedData = readFileSync(input);
  const main = vm.compileFunction(source, WRAPPER, options);
  if (main.cachedDataRejected) throw new Error("the previous run's code cache was rejected");
  process.on('exit', () => {
    const again = vm.compileFunction(source, WRAPPER, { filename: mainPath, produceCachedData: true });
    writeFileSync(output, again.cachedData);
  });
  // A SEA's argv repeats the executable where a script's path would be.
  process.argv = [process.execPath, process.execPath, ...argv];
  // The SEA main's `require` loads built-ins only (Node's embedderRequire).
  const require = (id) => {
    const m = process.getBuiltinModule(id);
    if (!m) throw new Error(`the start part required ${id}, which is not a built-in`);
    return m;
  };
  const module = { exports: {} };
  main.call(module.exports, module.exports, require, module, mainPath, path.dirname(mainPath));
}

// Every function compiled, then the cache made with V8's flags back as they were (their hash is
// part of the cache: test/perf/code-cache.test.ts checks the executable takes it).
function eager([file, wrapper, output]) {
  const v8 = process.getBuiltinModule('node:v8');
  const source = readFileSync(file, 'utf8');
  const options = { filename: `sea:/${path.basename(file)}` };
  v8.setFlagsFromString('--no-lazy');
  vm.compileFunction(source, wrapper.split(','), options);
  v8.setFlagsFromString('--lazy');
  writeFileSync(
    output,
    vm.compileFunction(source, wrapper.split(','), { ...options, produceCachedData: true }).cachedData,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') child(process.argv.slice(3));
  if (process.argv[2] === '--eager') eager(process.argv.slice(3));
}
