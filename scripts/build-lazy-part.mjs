// The start part's lazy modules (LAZY_START: `service start` and what it brings) as a file of their
// own, `lazy-start.cjs`, loaded when the first of them is asked for (issue 20, cold start and service
// start). Inside blueprint.cjs, as esbuild's lazily run copies (`__esm`), they cost every
// `--json version` ~0.7-1 ms of CPU though it runs none of them (paired, 100 runs, warm code cache
// both ways: their functions declared at the top level, their export tables, a 117 KB code cache
// instead of 62): most of the start part's source was theirs. Out of it, `service start` still runs
// them without Node's ES module loader (17 modules through the SEA hooks were ~12 ms): the executable
// compiles the asset with node:vm and a code cache of its own (scripts/build.mjs,
// scripts/build-code-cache.mjs), the plain `node dist/bundle/blueprint.mjs` requires the file.
//
// How the parts meet: the start part's table (globalThis.__bpStart) publishes each lazy module
// through a getter that loads this part (`lazyStartLoader`); the start part's dynamic imports of a
// lazy module read that table; this part reads the eager start modules from the table too, and
// imports the command part as the start part does (`import("./NAME.mjs")`, mapped to SEA assets).
import { fromStartTable, PART_WRAPPER, partOptions, relativeTo, seaPartExports } from './_part-loader.mjs';

/** The file name of the lazy part, beside blueprint.cjs and as a SEA asset; its code cache's asset. */
export const LAZY_FILE = 'lazy-start.cjs';
export const LAZY_CACHE = 'lazy-start.cache';
/** The parameters the executable compiles the lazy part's function with (build.mjs, the loader). */
export const LAZY_WRAPPER = PART_WRAPPER;

/**
 * The register module's loader of the lazy part (source text, inside blueprint.cjs): its table,
 * loaded once. In the executable, the SEA asset compiled with its code cache (an asset the arm64
 * build does not have: compiled from source there); under plain node, the file beside this one.
 */
export function lazyStartLoader() {
  return `let lazyPart;
const lazyStart = () => {
  if (lazyPart) return lazyPart;
  const sea = process.getBuiltinModule('node:sea');
  if (!sea.isSea()) return (lazyPart = require(require('node:path').join(__dirname, ${JSON.stringify(LAZY_FILE)})));
  return (lazyPart = ${seaPartExports({ file: LAZY_FILE, cache: LAZY_CACHE, require: 'require', importer: '__bpSeaImport' })});
};`;
}

/**
 * esbuild's options for the lazy part: one CommonJS file whose exports are a table of the lazy
 * modules (`lazy`, paths relative to root) by path, each initialised when first read. `base` is
 * the options both other parts share; `eager` the start modules it reads from globalThis.__bpStart;
 * `commandEntry` maps a module of the command part to its entry's file (`./NAME.mjs`), or undefined
 * when the module is not one; `resolve(build, args)` resolves as esbuild would.
 */
export function lazyPartOptions({
  base,
  root,
  lazy,
  eager,
  published,
  plugins,
  startGlobal,
  commandEntry,
  resolve,
}) {
  const rel = (p) => relativeTo(root, p);
  const lazySet = new Set(lazy);
  const eagerSet = new Set(eager);
  const links = {
    name: 'lazy-part-links',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.namespace === 'bp-lazy' || args.pluginData?.bpResolving) return undefined;
        const p = await resolve(build, args);
        if (!p || lazySet.has(rel(p))) return undefined;
        // An eager start module: the start part's own copy, read from its table.
        if (eagerSet.has(rel(p))) return { path: rel(p), namespace: 'bp-lazy-eager' };
        if (args.kind !== 'dynamic-import') return undefined;
        const entry = commandEntry(rel(p));
        return entry ? { path: `./${entry}.mjs`, external: true } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'bp-lazy-eager' }, (args) => ({
        contents: fromStartTable(startGlobal, args.path),
        loader: 'js',
      }));
    },
  };
  return partOptions({
    base,
    root,
    name: 'lazy-start',
    namespace: 'bp-lazy',
    modules: lazy.filter(published),
    plugins: [links, ...plugins],
  });
}
