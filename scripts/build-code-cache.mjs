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
// without); every function compiled eagerly (--no-lazy for the build compile only) made a 447 KB cache
// whose loading cost more than it saved (+1.7 ms over `node -e 0`, cold +1.1, after a run +0.3-0.5).
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
 * main script afterwards (`main`). With `lazy` (the lazy part, scripts/build-lazy-part.mjs: its file
 * and the parameters its function is compiled with), the last run then also loads that part and
 * initialises each module of its table, and `lazy` is that part's cache: its modules' top levels
 * compiled, not what a command calls. The child's environment is empty and its output discarded:
 * what a cache holds depends on the program, not on the builder's shell.
 */
export function warmCodeCache(nodeBinary, mainPath, { runs = WARM_RUNS, lazy } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-code-cache-'));
  try {
    let cache = '-';
    const lazyOut = path.join(dir, 'lazy.cache');
    runs.forEach((argv, i) => {
      const out = path.join(dir, `${i}.cache`);
      const last = i === runs.length - 1 && lazy;
      const lazyArgs = last ? [lazy.path, lazy.wrapper.join(','), lazyOut] : ['-', '-', '-'];
      execFileSync(
        nodeBinary,
        [fileURLToPath(import.meta.url), '--child', mainPath, cache, out, ...lazyArgs, '--', ...argv],
        { stdio: ['ignore', 'ignore', 'inherit'], env: {}, cwd: dir, timeout: 60_000 },
      );
      cache = out;
    });
    return { main: readFileSync(cache), lazy: lazy ? readFileSync(lazyOut) : undefined };
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
// program with `argv` as a command line, and at exit write the cache of what is compiled by then;
// then, given a lazy part, load it as the start part's loader does and initialise its modules.
function child([mainPath, input, output, lazyPath, lazyWrapper, lazyOutput, dashes, ...argv]) {
  if (dashes !== '--')
    throw new Error(
      'usage: build-code-cache.mjs --child MAIN IN|- OUT LAZY|- WRAPPER|- LAZYOUT|- -- ARGV...',
    );
  const source = readFileSync(mainPath, 'utf8');
  const options = { filename: mainPath };
  if (input !== '-') options.cachedData = readFileSync(input);
  const main = vm.compileFunction(source, WRAPPER, options);
  if (main.cachedDataRejected) throw new Error("the previous run's code cache was rejected");
  process.on('exit', () => {
    const again = vm.compileFunction(source, WRAPPER, { filename: mainPath, produceCachedData: true });
    writeFileSync(output, again.cachedData);
    if (lazyPath !== '-') writeFileSync(lazyOutput, lazyCache(lazyPath, lazyWrapper.split(','), require));
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

// The lazy part's cache, once its modules are initialised (after the main's: that one holds only
// what the command ran). Its imports of the command part are not run here.
function lazyCache(file, wrapper, require) {
  const source = readFileSync(file, 'utf8');
  const options = { filename: `sea:/${path.basename(file)}` };
  const fn = vm.compileFunction(source, wrapper, options);
  const module = { exports: {} };
  const noImport = (url) => {
    throw new Error(`the lazy part imported ${url} while its modules were initialised`);
  };
  fn(module.exports, require, module, noImport);
  for (const name of Object.keys(module.exports)) void module.exports[name];
  return vm.compileFunction(source, wrapper, { ...options, produceCachedData: true }).cachedData;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  child(process.argv.slice(3));
}
