// The console part (issue 20, TUI first paint): Ink, React, the console's entry (src/tui/console.ts)
// and what they import statically, as one CommonJS file, `console.cjs`, that the executable compiles
// with node:vm and a code cache of its own, made after a first paint of the Dashboard
// (scripts/build-paint-cache.mjs), as it does the lazy part (there an eager cache).
// As ES modules in the command part, their functions were compiled again at every login: Node's
// compile cache serialises an ES module right after compiling it, before it runs, so the ~1,650
// functions V8 compiles lazily at the first paint were never in it (docs/figures.md).
//
// CommonJS cannot hold a top-level await, and two stood in the way:
// - yoga-layout's index instantiates its WebAssembly with one. The console part imports a shim
//   instead (`yoga-layout` aliased here), which hands out the instance the loader made beforehand
//   with yoga-layout/load's loadYoga() (an ES module in the command part: it may await).
// - Ink's reconciler awaits its devtools and its package.json when DEV=true (opt-in React devtools,
//   a stub in this bundle: scripts/stubs/react-devtools-core.mjs). Those two awaits are dropped:
//   under DEV the renderer then names itself with Ink's defaults ('ink', React's version).
//
// How the parts meet: the loader (consoleLoader, the command part's stand-in for src/tui/console.ts)
// loads Yoga, then the console part, and publishes its table as globalThis.__bpConsole. The command
// part's screens (imported when first visited) read React, Ink and the console's own modules from
// that table, never a second copy (a second React breaks hooks; a second theme.tsx, its context).
// Start modules come from globalThis.__bpStart; dynamic imports go to the command part's entries.
import path from 'node:path';
import {
  builtinViewSource,
  fromStartTable,
  PART_WRAPPER,
  partOptions,
  relativeTo as rel,
  seaPartExports,
} from './_part-loader.mjs';

/** The console part's file beside blueprint.cjs and SEA asset; its code cache's asset. */
export const CONSOLE_FILE = 'console.cjs';
export const CONSOLE_CACHE = 'console.cache';
/** The parameters the executable compiles the console part's function with. */
export const CONSOLE_WRAPPER = PART_WRAPPER;
/** The console's entry: what src/tui/index.ts takes from the console part. */
export const CONSOLE_ENTRY = 'src/tui/console.ts';
export const CONSOLE_GLOBAL = '__bpConsole';
export const YOGA_GLOBAL = '__bpYoga';
/**
 * The console's modules that src/tui/index.ts loads before the console part (its flags, its code
 * cache folder, the Dashboard's first read): one copy, the command part's, which the loader hands
 * to the console part (globalThis.__bpConsolePre). A second copy of runtime.ts would not know that
 * the console is lean (fullSpeed would do nothing).
 */
export const PRE_CONSOLE = [
  'src/tui/runtime.ts',
  'src/tui/code-cache.ts',
  'src/tui/sources.ts',
  'src/tui/dashboard-data.ts',
];
const PRE_GLOBAL = '__bpConsolePre';
/** Packages the command part reads from the console part's table (only src/tui imports them). */
const SHARED_PACKAGES = ['react', 'react/jsx-runtime', 'ink'];

/** Source of a module whose exports are console module `m` from table globalThis[`table`], loaded by then. */
const fromConsoleTable = (table, m) => `const m = globalThis.${table}?.[${JSON.stringify(m)}];
if (!m) throw new Error('blueprint: console module ${m} is not loaded');
module.exports = m;`;

/** Ink's two top-level awaits (both under DEV=true), dropped; throws if Ink's text changed. */
const inkWithoutAwaits = {
  name: 'ink-without-top-level-await',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, async (args) => {
      const fs = await import('node:fs/promises');
      const text = await fs.readFile(args.path, 'utf8');
      const cuts = [
        ["await import('./devtools.js');", '/* devtools: not in the console part */'],
        ['await loadPackageJson()', '({})'],
      ];
      let out = text;
      for (const [from, to] of cuts) {
        if (out.split(from).length !== 2) throw new Error(`ink's reconciler.js: "${from}" is not there once`);
        out = out.replace(from, to);
      }
      return { contents: out, loader: 'js' };
    });
  },
};

/**
 * Built-ins the console part imports that it reads through a view of their properties (getters),
 * not the module itself (issue 20, TUI first paint; `process.moduleLoadList` at the paint):
 * - node:util: esbuild's ES module view of a CommonJS module reads each property's descriptor, and
 *   Node materialises util's lazy properties on that read (parseArgs, diff, setTraceSigInt...):
 *   34 internal modules (worker_threads, assert's diff, the parse_args ones) for the two the console
 *   uses (stripVTControlCharacters, types), compiled without Node's code cache after the console's
 *   V8 flags (src/tui/runtime.ts).
 * - node:child_process: Ink's terminal-size imports it for a terminal that reports no size; loaded
 *   at Ink's start for nothing on a real terminal. Loaded when a property is first read.
 * The names are the build's Node's (the executable's own version: scripts/build.mjs); a name the
 * running Node lacks reads as undefined, as from the module.
 */
const VIEWED_BUILTINS = ['node:util', 'node:child_process'];
const builtinViews = {
  name: 'console-builtin-views',
  setup(build) {
    build.onResolve({ filter: /^(node:)?(util|child_process)$/ }, (args) =>
      args.kind === 'import-statement'
        ? { path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'bp-builtin-view' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'bp-builtin-view' }, (args) => {
      if (!VIEWED_BUILTINS.includes(args.path)) throw new Error(`no view of ${args.path}`);
      return { contents: builtinViewSource(args.path), loader: 'js' };
    });
  },
};

/**
 * Yoga's Emscripten loader decodes its WebAssembly from base64 a character at a time (atob, then
 * charCodeAt into a Uint8Array, 72 KB): 10-21 ms under the console's V8 flags (interpreted), 0.1 ms
 * with Buffer. Throws if the loader's text changed.
 */
const yogaDecode = {
  name: 'yoga-base64-with-buffer',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ },
      async (args) => {
        const fs = await import('node:fs/promises');
        const text = await fs.readFile(args.path, 'utf8');
        const from =
          'var b=xa(a.slice(37)),c=new Uint8Array(b.length);for(a=0;a<b.length;++a)c[a]=b.charCodeAt(a);var d=c';
        if (text.split(from).length !== 2) throw new Error(`yoga's loader: "${from}" is not there once`);
        const to =
          'var b=Buffer.from(a.slice(37),"base64");var d=new Uint8Array(b.buffer,b.byteOffset,b.length)';
        return { contents: text.replace(from, to), loader: 'js' };
      },
    );
  },
};

/**
 * ICU's data, loaded by the first Intl.Segmenter or `\p{RGI_Emoji}` regular expression of a process:
 * 20-27 ms of the first paint's CPU over SSH (a probe timing the constructor), for a Dashboard whose
 * text never needs it. Ink's line updates and the text packages it measures and cuts lines with
 * each made a segmenter as they loaded; they take src/tui/graphemes.ts's lazySegmenter instead,
 * which segments text in text-width's fast ranges itself and starts ICU for anything else.
 * string-width (asked by text-width.ts only for text outside those ranges) also compiles its emoji
 * expressions as it loads: its module's body runs at its first call instead. Throws if a text
 * changed (test/tui/paint-icu, test/tui/graphemes).
 */
const SEGMENTER_USERS =
  /[\\/]node_modules[\\/](ink[\\/]build[\\/]line-update|wrap-ansi[\\/]index|cli-truncate[\\/]index|slice-ansi[\\/]tokenize-ansi|@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize)\.js$/;
const STRING_WIDTH = /[\\/]node_modules[\\/]string-width[\\/]index\.js$/;
const STRING_WIDTH_EXPORT = 'export default function stringWidth(';

/** string-width's module with its body (segmenter, expressions, functions) run at the first call. */
export function stringWidthOnFirstCall(text, file) {
  const lines = text.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
  if (
    body.split(STRING_WIDTH_EXPORT).length !== 2 ||
    /^\s*(export|import)\b/m.test(body.replace(STRING_WIDTH_EXPORT, ''))
  )
    throw new Error(`${file}: not one "${STRING_WIDTH_EXPORT}" and its imports`);
  return `${imports.join('\n')}
let __bpImpl;
function __bpLoad() {
${body.replace(STRING_WIDTH_EXPORT, 'function stringWidth(')}
return stringWidth;
}
export default function stringWidth(input, options) {
  __bpImpl ??= __bpLoad();
  return __bpImpl(input, options);
}
`;
}

const lazySegmenters = (root) => ({
  name: 'lazy-grapheme-segmenters',
  setup(build) {
    build.onLoad({ filter: SEGMENTER_USERS }, async (args) => {
      const fs = await import('node:fs/promises');
      const text = await fs.readFile(args.path, 'utf8');
      const parts = text.split('new Intl.Segmenter(');
      if (parts.length < 2) throw new Error(`${args.path}: no "new Intl.Segmenter(" to make lazy`);
      const from = JSON.stringify(path.join(root, 'src/tui/graphemes.ts'));
      return {
        contents: `import { lazySegmenter as __bpLazySegmenter } from ${from};\n${parts.join('__bpLazySegmenter(')}`,
        loader: 'js',
      };
    });
    build.onLoad({ filter: STRING_WIDTH }, async (args) => {
      const fs = await import('node:fs/promises');
      return {
        contents: stringWidthOnFirstCall(await fs.readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      };
    });
  },
});

/** yoga-layout, for the console part: the instance the loader made (it awaits; this cannot). */
const yogaShim = {
  name: 'yoga-from-loader',
  setup(build) {
    build.onResolve({ filter: /^yoga-layout$/ }, () => ({ path: 'yoga', namespace: 'bp-yoga' }));
    build.onLoad({ filter: /.*/, namespace: 'bp-yoga' }, () => ({
      contents: `const y = globalThis.${YOGA_GLOBAL};
if (!y) throw new Error('blueprint: the console part was loaded before Yoga');
export default y;`,
      loader: 'js',
    }));
  },
};

/**
 * esbuild's options for the console part. `base` is the options all parts share; `eager` the start
 * modules it reads from globalThis.__bpStart (`startGlobal`); `found` (a Map) collects entry name →
 * module of each dynamic import (the screens), which the command part then builds as entries;
 * `entryName` names them; `published` is filled with the modules the table offers, once the first
 * pass (`probe`, write: false) has found them; `resolve(build, args)` resolves as esbuild would.
 */
export function consolePartOptions({
  base,
  root,
  eager,
  startGlobal,
  plugins,
  found,
  entryName,
  published,
  packages,
  resolve,
}) {
  const eagerSet = new Set(eager);
  const links = {
    name: 'console-part-links',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.namespace === 'bp-console' || args.pluginData?.bpResolving) return undefined;
        const p = await resolve(build, args);
        if (!p) return undefined;
        if (SHARED_PACKAGES.includes(args.path)) packages.add(rel(root, p));
        if (eagerSet.has(rel(root, p))) return { path: rel(root, p), namespace: 'bp-console-start' };
        if (PRE_CONSOLE.includes(rel(root, p))) return { path: rel(root, p), namespace: 'bp-console-pre' };
        if (args.kind !== 'dynamic-import') return undefined;
        const name = entryName(rel(root, p));
        if (found.has(name) && found.get(name) !== rel(root, p))
          return { errors: [{ text: `${rel(root, p)} and ${found.get(name)} would both be ${name}.mjs` }] };
        found.set(name, rel(root, p));
        return { path: `./${name}.mjs`, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'bp-console-pre' }, (args) => ({
        contents: fromConsoleTable(PRE_GLOBAL, args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'bp-console-start' }, (args) => ({
        contents: fromStartTable(startGlobal, args.path),
        loader: 'js',
      }));
    },
  };
  return partOptions({
    base,
    root,
    name: 'console',
    namespace: 'bp-console',
    modules: [CONSOLE_ENTRY, ...published],
    plugins: [builtinViews, links, yogaShim, inkWithoutAwaits, lazySegmenters(root), ...plugins],
  });
}

/**
 * What the console part's table offers the command part, from its first pass's metafile: the
 * console's own modules (src/tui/**) and the packages the screens share with it (`packages`, as
 * the first pass resolved them), by path.
 */
export function consolePublished(metafile, packages) {
  const inputs = Object.keys(metafile.inputs).filter((f) => !/^[a-z-]+:/.test(f));
  return [...inputs.filter((f) => f.startsWith('src/tui/') && f !== CONSOLE_ENTRY), ...packages];
}

/**
 * The command part's plugin: an import from a module of src/tui of a module the console part's
 * table offers (`published`, paths relative to root) reads it from the table; the console's entry,
 * imported by src/tui/index.ts, becomes the loader.
 */
export function fromConsolePart(root, published, resolve) {
  const set = new Set(published);
  return {
    name: 'console-modules-from-console-part',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData?.bpResolving) return undefined;
        if (!args.importer || !rel(root, args.importer).startsWith('src/tui/')) return undefined;
        const p = await resolve(build, args);
        if (!p) return undefined;
        const r = rel(root, p);
        if (r === CONSOLE_ENTRY) return { path: r, namespace: 'bp-console-loader' };
        // By index: a path under node_modules would count as a bundled package (scripts/sbom.mjs).
        if (set.has(r)) return { path: String(published.indexOf(r)), namespace: 'bp-console-module' };
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'bp-console-module' }, (args) => ({
        contents: fromConsoleTable(CONSOLE_GLOBAL, published[Number(args.path)]),
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'bp-console-loader' }, () => ({
        contents: consoleLoader(root),
        resolveDir: root,
        loader: 'js',
      }));
      yogaDecode.setup(build);
    },
  };
}

/**
 * The loader (an ES module of the command part, in place of src/tui/console.ts): Yoga first, then
 * the console part. In the executable, the SEA asset compiled with its code cache (no cache on
 * arm64: compiled from source); under plain node, the file beside this chunk, required.
 */
export function consoleLoader(root) {
  const pre = PRE_CONSOLE.map((m, i) => `import * as p${i} from ${JSON.stringify(path.join(root, m))};`);
  return `import { loadYoga } from 'yoga-layout/load';
${pre.join('\n')}
// A CommonJS view of each (getters: live bindings), as the console part's require() expects.
const view = (ns) => { const o = Object.create(null); for (const k of Object.keys(ns)) Object.defineProperty(o, k, { enumerable: true, get: () => ns[k] }); Object.defineProperty(o, '__esModule', { value: true }); return o; };
globalThis.${PRE_GLOBAL} ??= Object.freeze({ ${PRE_CONSOLE.map((m, i) => `${JSON.stringify(m)}: view(p${i})`).join(', ')} });
globalThis.${YOGA_GLOBAL} ??= await loadYoga();
let t = globalThis.${CONSOLE_GLOBAL};
if (!t) {
  const sea = process.getBuiltinModule('node:sea');
  if (sea.isSea()) {
    const builtin = (id) => { const b = process.getBuiltinModule(id); if (!b) throw new Error('blueprint: the console part required ' + id); return b; };
    t = ${seaPartExports({ file: CONSOLE_FILE, cache: CONSOLE_CACHE, require: 'builtin', importer: '(url) => import(url)' })};
  } else {
    t = process.getBuiltinModule('node:module').createRequire(import.meta.url)('./${CONSOLE_FILE}');
  }
  globalThis.${CONSOLE_GLOBAL} = t;
}
const c = t[${JSON.stringify(CONSOLE_ENTRY)}];
export const { render, createElement, App, Settle, isPlain } = c;
`;
}
