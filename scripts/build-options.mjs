// esbuild's options for the bundle inside dist/blueprint: shared by scripts/build.mjs and the test
// that keeps the start-up path small (test/perf/start-path.test.ts).
import { builtinModules } from 'node:module';
import path from 'node:path';

// The bundle runs as ES modules whose URL is not a file (sea:/...). These globals give CommonJS
// dependencies what they expect, pointing at the executable itself.
const banner = [
  "import { createRequire as __bpCreateRequire } from 'node:module';",
  "import { pathToFileURL as __bpToUrl } from 'node:url';",
  'const __bp_import_meta_url = import.meta.url.startsWith("file:") ? import.meta.url : __bpToUrl(process.execPath).href;',
  'const require = __bpCreateRequire(__bp_import_meta_url);',
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
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
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

/** @returns {import('esbuild').BuildOptions} */
export function bundleOptions(root, outdir) {
  return {
    absWorkingDir: root,
    metafile: true,
    entryPoints: { blueprint: path.join(root, 'src/main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    banner: { js: banner },
    define: { 'import.meta.url': '__bp_import_meta_url', 'process.env.DEV': 'false' },
    alias: {
      'react-devtools-core': path.join(root, 'scripts/stubs/react-devtools-core.mjs'),
      // Engine transports blueprint never uses (see the stub).
      ssh2: path.join(root, 'scripts/stubs/unused-transport.mjs'),
      '@grpc/grpc-js': path.join(root, 'scripts/stubs/unused-transport.mjs'),
      '@grpc/proto-loader': path.join(root, 'scripts/stubs/unused-transport.mjs'),
      protobufjs: path.join(root, 'scripts/stubs/unused-transport.mjs'),
      // An optional import of debug's that only a dev dependency installs (see the stub).
      'supports-color': path.join(root, 'scripts/stubs/supports-color.mjs'),
    },
    external: ['*.node', 'cpu-features'],
    jsx: 'automatic',
    legalComments: 'none',
    minifySyntax: true,
    logLevel: 'warning',
    plugins: [lazyBuiltins, zodEnglishOnly],
  };
}

/**
 * The modules `blueprint` compiles before it runs any command: the entry's static imports, followed
 * through the metafile's inputs (dynamic imports load later, only for the command that needs them).
 * Returns input path → bytes, and for each the module that imported it first (to explain a chain).
 */
export function startPath(metafile, entry = 'src/main.ts') {
  const bytes = new Map();
  const via = new Map();
  const queue = [entry];
  via.set(entry, null);
  while (queue.length) {
    const f = queue.shift();
    if (bytes.has(f)) continue;
    bytes.set(f, metafile.inputs[f]?.bytes ?? 0);
    for (const i of metafile.inputs[f]?.imports ?? []) {
      if (i.kind !== 'import-statement' || i.external || via.has(i.path)) continue;
      via.set(i.path, f);
      queue.push(i.path);
    }
  }
  return { bytes, via };
}
