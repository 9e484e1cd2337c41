// esbuild's options for the bundle inside dist/blueprint: shared by scripts/build.mjs and the test
// that keeps the start-up path small (test/perf/start-path.test.ts).
import { builtinModules } from 'node:module';
import path from 'node:path';
import { builtinViewSource } from './_part-loader.mjs';
import {
  CONSOLE_FILE,
  consolePartOptions,
  consolePublished,
  fromConsolePart,
} from './build-console-part.mjs';
import { esmMemo } from './build-esm-memo.mjs';
import { LAZY_FILE, lazyPartOptions, lazyStartLoader } from './build-lazy-part.mjs';

// The command part runs as ES modules whose URL is not a file (sea:/...). These globals give
// CommonJS dependencies what they expect, pointing at the executable itself. Made when first asked:
// a file URL and a CommonJS loader made eagerly in each of the ~40 chunks a package command loads
// cost it ~10% of its CPU time (URL parsing in pathToFileURL, fileURLToPath and createRequire).
const banner = [
  "import { createRequire as __bpCreateRequire } from 'node:module';",
  "import { pathToFileURL as __bpToUrl } from 'node:url';",
  'const __bpMeta = { get url() { return import.meta.url.startsWith("file:") ? import.meta.url : __bpToUrl(process.execPath).href; } };',
  'let __bpRequire;',
  'function require(id) { __bpRequire ??= __bpCreateRequire(__bpMeta.url); return __bpRequire(id); }',
  'const __filename = process.execPath;',
  "const __dirname = process.execPath.slice(0, process.execPath.lastIndexOf('/'));",
].join('\n');

/**
 * Node's built-in modules, taken through process.getBuiltinModule instead of an ES import. An ES
 * import of a built-in makes Node build its ES facade, which reads every export: `node:http`'s lazy
 * getters load Node's own undici (35 ms of a 240 ms `bpkg search`), `node:util`'s load streams and
 * workers. As CommonJS to esbuild, each named import becomes a property read where it is used.
 */
const builtins = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

/** The built-ins taken through such a view wherever they are imported. */
const VIEWED = new Set(['node:util']);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
      // Static imports only: a dynamic import() of a CommonJS module, split into its own chunk,
      // would offer only `default` (`const { writeFile } = await import('node:fs/promises')`).
      if (args.kind !== 'import-statement') return undefined;
      const name = args.path.replace(/^node:/, '');
      if (!builtins.has(name) && !args.path.startsWith('node:')) return undefined;
      return { path: `node:${name}`, namespace: 'lazy-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: VIEWED.has(args.path)
        ? builtinViewSource(args.path)
        : `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * zod re-exports all its 49 message locales (`z.locales`, 345 KB, 44% of the zod chunk that the
 * package commands compile); blueprint uses only English, the default zod sets up itself. Inside
 * zod, its locales index is replaced by one that offers `en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: `export { default as en } from './en.js';`,
      loader: 'js',
    }));
  },
};

/** esbuild's options shared by both parts of the bundle (see startOptions and commandOptions). */
function common(root, outdir) {
  return {
    absWorkingDir: root,
    metafile: true,
    bundle: true,
    platform: 'node',
    target: 'node24',
    outdir,
    // React, its reconciler and scheduler pick their production builds (the development ones check
    // and warn at each render: ~10% of the console's CPU to its first paint, issue 20).
    define: {
      'import.meta.url': '__bpMeta.url',
      'process.env.DEV': 'false',
      'process.env.NODE_ENV': '"production"',
    },
    alias: {
      'react-devtools-core': path.join(root, 'scripts/stubs/react-devtools-core.mjs'),
      // Engine transports blueprint never uses (see the stub).
      ssh2: path.join(root, 'scripts/stubs/unused-transport.mjs'),
      '@grpc/grpc-js': path.join(root, 'scripts/stubs/unused-transport.mjs'),
      '@grpc/proto-loader': path.join(root, 'scripts/stubs/unused-transport.mjs'),
      protobufjs: path.join(root, 'scripts/stubs/unused-transport.mjs'),
      // An optional import of debug's that only a dev dependency installs (see the stub).
      'supports-color': path.join(root, 'scripts/stubs/supports-color.mjs'),
      // Ink's text measuring (issue 20, TUI first paint): string-width 8's widths, counted no narrower
      // than a per-code-point terminal (tmux, xterm) draws them, without its /v regexes and segmenter
      // for box drawing and symbols; it imports the real one by path (see the file's header).
      'string-width': path.join(root, 'src/tui/text-width.ts'),
    },
    external: ['*.node', 'cpu-features'],
    jsx: 'automatic',
    legalComments: 'none',
    // esbuild's table of Node's features lacks these (Node has had them since 10 and 20): without
    // it every /\p{…}/u literal became `new RegExp("\\p{…}")` (9 in the command part: Ink's string
    // widths, the terminal escapes), compiled again each time it is evaluated. As modules/kit does.
    supported: { 'regexp-unicode-property-escapes': true, 'regexp-set-notation': true },
    minifySyntax: true,
    // V8 keeps every loaded module's source text in the heap: without the indentation and line
    // breaks the command part is 3.2 MB instead of 4.2 (the console loads most of it), the start
    // part 50 KB instead of 62. Names are kept (stack traces stay readable).
    minifyWhitespace: true,
    logLevel: 'warning',
  };
}

/**
 * The bundle is two parts (issue 20, cold start). The start part, `blueprint.cjs`, is everything
 * `src/main.ts` imports statically, as one CommonJS file: it becomes the executable's main script,
 * which Node runs without its ES module loader (each ES module costs a resolve, a load through the
 * SEA hooks, a compile and a link: 8 of them took `--json version` from 25 to 35 ms of CPU, where
 * `node -e 0` takes 25). Its dynamic imports (each command's module) become `import('./NAME.mjs')`
 * of the second part (commandOptions): ES modules split into chunks as before.
 *
 * A module is in one part only. The commands' chunks take what they import from the start part
 * (the errors whose classes `instanceof` must recognise, the layout, the escapes) from the start
 * part itself: `globalThis.__bpStart`, which the start part fills before its main runs. The entry
 * names of the second part are derived from the source paths (`entryName`).
 */
export const START_GLOBAL = '__bpStart';

/**
 * Command modules run without Node's ES module loader, initialised only when first imported (issue
 * 20, service start): 17 chunks, each resolved and loaded through the SEA hooks, compiled and
 * linked, were ~17 ms of `service start`'s ~80 ms of CPU. They and what they import statically are
 * the lazy part, `lazy-start.cjs` (scripts/build-lazy-part.mjs), loaded with its own code cache
 * when the first of them is asked for; `--json version` loads none of it. The start part and the
 * command part read them from globalThis.__bpStart, through a getter that loads and initialises them.
 */
export const LAZY_START = [
  'src/cli/commands/service.ts',
  'src/app/services.ts',
  'src/core/services/container-info.ts',
  'src/core/services/lifecycle.ts',
  'src/core/services/admission.ts',
  // A box's first `bpkg update` (updateBox, src/app/pkg-quick.ts's fullUpdate): its ~70 modules as
  // ES modules compiled from source were ~20 ms of its ~275 ms of CPU (issue 20). It loaded the
  // lazy part anyway (read-bounded.ts, text.ts are in it).
  'src/core/pkg/update.ts',
];

/** `src/cli/commands/pkg.ts` → `cli-commands-pkg`: the file name of a command part's entry. */
export const entryName = (rel) =>
  rel
    .replace(/^src\//, '')
    .replace(/\.[cm]?[jt]sx?$/, '')
    .replace(/[^A-Za-z0-9]+/g, '-');

const isBuiltin = (p) => p.startsWith('node:') || builtins.has(p.split('/')[0]);

/** Resolves `args` as esbuild would; undefined for built-ins and externals. */
async function resolved(build, args) {
  if (args.pluginData?.bpResolving || isBuiltin(args.path)) return undefined;
  const r = await build.resolve(args.path, {
    kind: args.kind,
    importer: args.importer,
    resolveDir: args.resolveDir,
    pluginData: { bpResolving: true },
  });
  return r.errors.length || r.external ? undefined : r.path;
}

/**
 * Options of the start part: `src/main.ts` and its static imports, with every dynamic import left
 * as an import of the command part's entry. `register` lists the start part's modules (paths
 * relative to root) to publish in globalThis.__bpStart; without it (the first pass that finds
 * them) nothing is published. `found` (a Map) collects entry name → module of each dynamic import.
 */
export function startOptions(root, outdir, register, found = new Map(), lazy = []) {
  const rel = (p) => path.relative(root, p).split(path.sep).join('/');
  const lazySet = new Set(lazy);
  const dynamicToCommands = {
    name: 'dynamic-imports-to-command-part',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const p = await resolved(build, args);
        if (!p) return undefined;
        // LAZY_START, and what they bring (app/services.ts imports the registry lifecycle.ts
        // brings): read from the table, which loads the lazy part; bundled in the first pass only,
        // which finds them.
        // A package (semver: the quick search's and the Dashboard's comparison) stays an entry of
        // the command part, as the command part's own copy (see fromStart in commandOptions).
        if (LAZY_START.includes(rel(p)) || (lazySet.has(rel(p)) && !rel(p).startsWith('node_modules/')))
          return register ? { path: rel(p), namespace: 'bp-start-module' } : undefined;
        const name = entryName(rel(p));
        if (found.has(name) && found.get(name) !== rel(p))
          return { errors: [{ text: `${rel(p)} and ${found.get(name)} would both be ${name}.mjs` }] };
        found.set(name, rel(p));
        return { path: `./${name}.mjs`, external: true };
      });
    },
  };
  const entry = path.join(root, 'src/main.ts');
  // A dynamic import of a lazy module reads the table (the getter loads the lazy part).
  const tableReads = {
    name: 'start-table-reads',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'bp-start-module' }, (args) => ({
        contents: `module.exports = globalThis.${START_GLOBAL}[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
  const publish = {
    name: 'publish-start-modules',
    setup(build) {
      build.onResolve({ filter: /^bp-start-entry$/ }, () => ({ path: 'entry', namespace: 'bp-start' }));
      build.onResolve({ filter: /^bp-start-register$/ }, () => ({ path: 'register', namespace: 'bp-start' }));
      build.onLoad({ filter: /.*/, namespace: 'bp-start' }, (args) => {
        // The register module runs after the modules it names and before src/main.ts: the table is
        // there before main can import any command.
        if (args.path === 'entry')
          return {
            contents: `import 'bp-start-register';\nimport ${JSON.stringify(entry)};\n`,
            resolveDir: root,
          };
        const mods = register.filter((m) => m !== 'src/main.ts' && published(m, lazySet));
        const lines = mods.flatMap((m, i) =>
          lazySet.has(m) ? [] : [`import * as m${i} from ${JSON.stringify(path.join(root, m))};`],
        );
        if (lazySet.size) lines.push(lazyStartLoader());
        // One short statement per eager module, through a helper: written out in full for each of
        // the 66 modules, the table was 8,656 B of the start part's budget
        // (test/perf/start-path.test.ts), the biggest item in it; then 3,549.
        lines.push(
          `const t = Object.create(null);`,
          // An eager module: esbuild's export object, with __esModule as a CommonJS view has it.
          `const eager = (k, m) => { Object.defineProperty(m, '__esModule', { value: true }); t[k] = m; };`,
          ...mods.flatMap((m, i) => (lazySet.has(m) ? [] : [`eager(${JSON.stringify(m)}, m${i});`])),
          // A lazy module is not named here: a path the table does not hold is read from the lazy
          // part's table (esbuild's init_x() and a CommonJS view, made afresh by each read there),
          // once, when first asked for, and kept. Named one by one, the ~70 lazy modules that
          // `bpkg update` brought were ~4 KB more of every start's code (issue 20).
          lazySet.size
            ? `const kept = new Map();
globalThis.${START_GLOBAL} = new Proxy(Object.freeze(t), { get: (t, k) => k in t ? t[k] : typeof k !== 'string' || !k.includes('/') ? undefined : kept.has(k) ? kept.get(k) : (kept.set(k, lazyStart()[k]), kept.get(k)) });`
            : `globalThis.${START_GLOBAL} = Object.freeze(t);`,
        );
        return { contents: lines.join('\n'), resolveDir: root };
      });
    },
  };
  return {
    ...common(root, outdir),
    entryPoints: { blueprint: register ? 'bp-start-entry' : entry },
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // import.meta.url, should a start module ask: the executable's file URL, made when asked.
    banner: {
      js: "var __bpMeta = { get url() { return process.getBuiltinModule('node:url').pathToFileURL(process.execPath).href; } };",
    },
    // esmMemo here too: the start part took node:path's ES view ten times, each a copy of its
    // properties as getters (~0.5 ms of every start, --cpu-prof).
    plugins: [
      lazyBuiltins,
      zodEnglishOnly,
      dynamicToCommands,
      ...(register ? [tableReads, publish, esmMemo] : []),
    ],
  };
}

/**
 * Options of the command part: ES modules, split into chunks, one entry per dynamic import the start
 * part makes (`commands`: paths relative to root). A module of the start part (`start`) is not
 * bundled again: it is read from globalThis.__bpStart.
 */
export function commandOptions(root, outdir, commands, start, lazyExports = new Map(), fromConsole = []) {
  const startSet = new Set(start);
  const rel = (p) => path.relative(root, p).split(path.sep).join('/');
  const fromStart = {
    name: 'start-modules-from-start-part',
    setup(build) {
      // The start part holds only files of src/, which import each other by relative paths. A
      // package its lazy part bundles (semver, for `bpkg update`) is bundled here again: read from
      // the table, each command that uses it would load the whole lazy part (~9 ms) for it.
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.kind === 'entry-point') return undefined;
        const p = await resolved(build, args);
        if (!p || !startSet.has(rel(p)) || rel(p).startsWith('node_modules/')) return undefined;
        // A dynamic import() of a CommonJS module offers only `default`: destructuring
        // `{ BlueprintError }` from it would give undefined (and `instanceof undefined` throws at
        // the worst moment: while reporting another error). A start module is loaded before any
        // command anyway, so a static import of it costs nothing.
        // A lazy start module (LAZY_START) may be imported dynamically: an ES module that re-exports
        // its names, read (and the module initialised) when the import runs.
        if (args.kind === 'dynamic-import' && lazyExports.has(rel(p)))
          return { path: rel(p), namespace: 'bp-start-dynamic' };
        if (args.kind === 'dynamic-import')
          return {
            errors: [
              {
                text: `${rel(args.importer)} imports ${rel(p)} dynamically, but it is in the start part (already loaded): import it statically`,
              },
            ],
          };
        return { path: rel(p), namespace: 'bp-start-module' };
      });
      build.onLoad({ filter: /.*/, namespace: 'bp-start-dynamic' }, (args) => ({
        contents: `const m = globalThis.${START_GLOBAL}?.[${JSON.stringify(args.path)}];
if (!m) throw new Error('blueprint: start module ${args.path} is not loaded');
export const { ${lazyExports.get(args.path).join(', ')} } = m;`,
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'bp-start-module' }, (args) => ({
        // CommonJS to esbuild: each named import becomes a property read of the live module.
        contents: `const m = globalThis.${START_GLOBAL}?.[${JSON.stringify(args.path)}];
if (!m) throw new Error('blueprint: start module ${args.path} is not loaded');
module.exports = m;`,
        loader: 'js',
      }));
    },
  };
  return {
    ...common(root, outdir),
    entryPoints: Object.fromEntries(commands.map((c) => [entryName(c), path.join(root, c)])),
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    banner: { js: banner },
    // esmMemo: one ES view of each CommonJS module, not one per importer (scripts/build-esm-memo.mjs).
    plugins: [lazyBuiltins, zodEnglishOnly, ...fromConsole, fromStart, esmMemo],
  };
}

/**
 * Builds both parts into `outdir` (or in memory with write: false). Returns the start part's
 * modules, the command entries, and one metafile with the inputs and outputs of both.
 */
export async function buildBundle(esbuild, root, outdir, { write = true } = {}) {
  // First pass: which modules the start part holds, and which command modules it imports.
  const found = new Map();
  const probe = await esbuild.build({ ...startOptions(root, outdir, undefined, found), write: false });
  // Files only: built-ins come through the lazy-builtin namespace.
  const start = Object.keys(probe.metafile.inputs).filter((f) => !/^[a-z-]+:/.test(f));
  const lazy = lazyModules(probe.metafile, start);
  const startRun = await esbuild.build({ ...startOptions(root, outdir, start, undefined, lazy), write });
  const lazyExports = await exportNames(esbuild, root, lazy);
  const shared = start.filter((m) => published(m, new Set(lazy)));
  // The console part (scripts/build-console-part.mjs): a first pass finds its modules and the
  // screens it imports dynamically (entries of the command part), the second writes it.
  const consoleFound = new Map();
  const packages = new Set();
  const consoleOpts = (pub) =>
    consolePartOptions({
      base: common(root, outdir),
      root,
      eager: shared,
      startGlobal: START_GLOBAL,
      plugins: [lazyBuiltins, zodEnglishOnly, esmMemo],
      found: consoleFound,
      entryName,
      published: pub,
      packages,
      resolve: resolved,
    });
  const consoleProbe = await esbuild.build({ ...consoleOpts([]), write: false });
  const consolePub = consolePublished(consoleProbe.metafile, [...packages]);
  const consoleRun = await esbuild.build({ ...consoleOpts(consolePub), write });
  // A lazy package imported dynamically (semver) is an entry too: the command part's own copy.
  const cmdList = [...new Set([...found.values(), ...consoleFound.values()])].filter(
    (m) => !lazy.includes(m) || m.startsWith('node_modules/'),
  );
  const cmdRun = await esbuild.build({
    ...commandOptions(root, outdir, cmdList, shared, lazyExports, [
      fromConsolePart(root, consolePub, resolved),
    ]),
    write,
  });
  // The lazy part, lazy-start.cjs: LAZY_START and what they bring (scripts/build-lazy-part.mjs).
  const lazySet = new Set(lazy);
  const runs = [startRun, cmdRun, consoleRun];
  if (lazy.length)
    runs.push(
      await esbuild.build({
        ...lazyPartOptions({
          base: common(root, outdir),
          root,
          lazy,
          eager: start.filter((m) => !lazySet.has(m)),
          published: (m) => published(m, lazySet),
          plugins: [lazyBuiltins, zodEnglishOnly, esmMemo],
          startGlobal: START_GLOBAL,
          commandEntry: (m) => (cmdList.includes(m) ? entryName(m) : undefined),
          resolve: resolved,
        }),
        write,
      }),
    );
  return {
    start,
    lazyStart: lazy,
    lazyFile: lazy.length ? LAZY_FILE : undefined,
    consoleFile: CONSOLE_FILE,
    consolePublished: consolePub,
    commands: cmdList,
    metafile: {
      inputs: Object.assign({}, ...runs.map((r) => r.metafile.inputs).reverse()),
      outputs: Object.assign({}, ...runs.map((r) => r.metafile.outputs).reverse()),
    },
    outputFiles: write ? undefined : runs.flatMap((r) => r.outputFiles),
  };
}

/**
 * Whether the command part reads a start module from the table. A lazy JSON module (the seccomp
 * profile) is not published: require() cannot ask for it as JSON, and a copy of data is harmless.
 */
const published = (m, lazySet) => !(lazySet.has(m) && m.endsWith('.json'));

/** The start modules outside src/main.ts's static imports: those LAZY_START brings, run when imported. */
function lazyModules(metafile, start) {
  const eager = new Set();
  const walk = (f) => {
    if (eager.has(f) || !metafile.inputs[f]) return;
    eager.add(f);
    for (const i of metafile.inputs[f].imports) if (i.kind !== 'dynamic-import') walk(i.path);
  };
  walk('src/main.ts');
  return start.filter((f) => !eager.has(f));
}

/** Each module's export names (esbuild's own reading of its `export` statements), for the re-exports. */
async function exportNames(esbuild, root, modules) {
  if (!modules.length) return new Map();
  const r = await esbuild.build({
    ...common(root, '/'),
    entryPoints: Object.fromEntries(modules.map((m, i) => [`m${i}`, path.join(root, m)])),
    format: 'esm',
    splitting: true,
    write: false,
    plugins: [lazyBuiltins, zodEnglishOnly],
  });
  const byEntry = Object.values(r.metafile.outputs).filter((o) => o.entryPoint);
  return new Map(
    modules.map((m) => [m, byEntry.find((o) => o.entryPoint === m).exports.filter((e) => e !== 'default')]),
  );
}
