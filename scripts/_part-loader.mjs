// What the executable's parts compiled from SEA assets share (the lazy part, scripts/build-lazy-part.mjs;
// the console part, scripts/build-console-part.mjs): each is one CommonJS file that the executable
// compiles with vm.compileFunction and a code cache of its own (an asset; the arm64 build has none
// and compiles from source), then runs once for its exports.
import path from 'node:path';

/** The banner of each part: esbuild's `import.meta.url` in a CommonJS file, the executable's URL. */
export const PART_BANNER =
  "var __bpMeta = { get url() { return process.getBuiltinModule('node:url').pathToFileURL(process.execPath).href; } };";

/** The parameters a part's function is compiled with: CommonJS's three, then its dynamic import. */
export const PART_WRAPPER = ['exports', 'require', 'module', '__bpSeaImport'];

/**
 * Source text of an expression whose value is the exports of the part in SEA asset `file`, compiled
 * with the code cache in asset `cache` when there is one; `require` and `importer` are expressions
 * (the part's require(), its import() of the command part's entries). Runs only in the executable.
 */
export function seaPartExports({ file, cache, require, importer }) {
  return `(() => {
  const sea = process.getBuiltinModule('node:sea');
  const options = { filename: 'sea:/${file}' };
  try { options.cachedData = Buffer.from(sea.getRawAsset(${JSON.stringify(cache)})); } catch {}
  const fn = process.getBuiltinModule('node:vm').compileFunction(sea.getAsset(${JSON.stringify(file)}, 'utf8'), ${JSON.stringify(PART_WRAPPER)}, options);
  const module = { exports: {} };
  fn(module.exports, ${require}, module, ${importer});
  return module.exports;
})()`;
}

/**
 * Source of a CommonJS module that stands for built-in `id`: every property (named from the
 * building Node's module) a getter that loads the module at its first read. esbuild's ES view of a
 * CommonJS module (__toESM) reads every property's descriptor, and Node 24 materialises node:util's
 * lazy properties on that read: one `import { x } from 'node:util'` loaded 34 internal modules
 * (parseArgs, assert's diff, worker_threads, streams) the first time its module ran, in the
 * console's start and every `service start` (engineer U's trace, 2026-12-02).
 */
export function builtinViewSource(id) {
  const names = Object.getOwnPropertyNames(process.getBuiltinModule(id));
  return `let m;
const v = {};
for (const k of ${JSON.stringify(names)})
  Object.defineProperty(v, k, { enumerable: true, get: () => (m ??= process.getBuiltinModule(${JSON.stringify(id)}))[k] });
module.exports = v;`;
}

/**
 * Source of a part's entry: a CommonJS table of `modules` (paths relative to `root`) by path, each a
 * getter that requires its module at the first read (so a module is initialised when first asked for).
 */
export function partTableSource(root, modules) {
  return [
    'const t = Object.create(null);',
    ...modules.map(
      (m) =>
        `Object.defineProperty(t, ${JSON.stringify(m)}, { enumerable: true, get: () => require(${JSON.stringify(path.join(root, m))}) });`,
    ),
    'module.exports = t;',
  ].join('\n');
}

/** Source of a module whose exports are the start part's own copy of `file`, read from its table. */
export const fromStartTable = (startGlobal, file) =>
  `module.exports = globalThis.${startGlobal}[${JSON.stringify(file)}];`;

/** `p` relative to `root`, with / between folders: how the parts name a module. */
export const relativeTo = (root, p) => path.relative(root, p).split(path.sep).join('/');

/**
 * esbuild's options for a part (the lazy part, the console part): one CommonJS file `NAME.cjs`
 * (`name`) whose exports are the table of `modules` (partTableSource), with PART_BANNER. Its entry
 * is `NAMESPACE-entry`, loaded in `namespace` (a part's own resolver passes over what the table
 * imports); `plugins` come after the entry's. `base` is the options all parts share.
 */
export function partOptions({ base, root, name, namespace, modules, plugins }) {
  const entry = `${namespace}-entry`;
  const table = {
    name: `${namespace}-table`,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${entry}$`) }, () => ({ path: 'entry', namespace }));
      build.onLoad({ filter: /.*/, namespace }, () => ({
        contents: partTableSource(root, modules),
        resolveDir: root,
      }));
    },
  };
  return {
    ...base,
    entryPoints: { [name]: entry },
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    banner: { js: PART_BANNER },
    plugins: [table, ...plugins],
  };
}
