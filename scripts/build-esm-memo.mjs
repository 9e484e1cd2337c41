// The command part's import of a CommonJS module (every Node built-in, through the lazy-builtins
// plugin, the start part's modules, React...) is esbuild's `__toESM(require_x(), 1)`, made at each
// importing module: a fresh object with one getter closure per export. Ninety modules importing
// node:path made ninety copies; the console, after visiting every screen, held 11,000 such getters
// (~3 MiB of its V8 heap, issue 20). This plugin makes __toESM keep the object it made for a
// module and hand it to the next importer, made again only when the module's own properties
// changed in number since (a CommonJS module first seen half-initialised in an import cycle).
// Matched with or without esbuild's spaces (scripts/build-options.mjs sets minifyWhitespace), as
// the first of a `var` statement's declarations or a later one (`var __reExport=…,__toESM=…`: where
// esbuild puts it depends on which helpers the chunk holds).
const HELPER = /(var |,)__toESM ?= ?\(mod, ?isNodeMode, ?target\) ?=>/g;

/** The runtime chunk's __toESM, memoised; throws if esbuild's helper is not where it was. */
export function memoizeToEsm(text) {
  const found = [...text.matchAll(HELPER)];
  if (found.length !== 1) return undefined;
  const at = found[0].index;
  const memo = [
    `${found[0][1]}__toESM = (mod, isNodeMode) => {`,
    '  if (mod == null || (typeof mod != "object" && typeof mod != "function")) return __toESMFresh(mod, isNodeMode);',
    '  const n = __getOwnPropNames(mod).length, key = isNodeMode ? 1 : 0;',
    '  let kept = __toESMKept.get(mod);',
    '  if (!kept) __toESMKept.set(mod, (kept = []));',
    '  const k = kept[key];',
    '  if (k && k.n === n) return k.target;',
    '  const target = __toESMFresh(mod, isNodeMode);',
    '  kept[key] = { n, target };',
    '  return target;',
    '}, __toESMKept = new WeakMap(), __toESMFresh = (mod, isNodeMode, target) =>',
  ].join('\n');
  return text.slice(0, at) + memo + text.slice(at + found[0][0].length);
}

/** esbuild plugin: rewrites the chunk that defines __toESM, on disk or in memory. */
export const esmMemo = {
  name: 'esm-memo',
  setup(build) {
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      const { readFileSync, writeFileSync } = await import('node:fs');
      const path = await import('node:path');
      const dir = build.initialOptions.absWorkingDir ?? process.cwd();
      let found = 0;
      if (result.outputFiles) {
        result.outputFiles = result.outputFiles.map((f) => {
          if (!/\.[cm]js$/.test(f.path) || !/(var |,)__toESM ?=/.test(f.text)) return f;
          const text = memoizeToEsm(f.text);
          if (text === undefined) return f;
          found++;
          return { path: f.path, hash: f.hash, contents: new TextEncoder().encode(text), text };
        });
      } else {
        for (const out of Object.keys(result.metafile.outputs)) {
          if (!/\.[cm]js$/.test(out)) continue;
          const file = path.resolve(dir, out);
          const before = readFileSync(file, 'utf8');
          if (!/(var |,)__toESM ?=/.test(before)) continue;
          const text = memoizeToEsm(before);
          if (text === undefined) continue;
          writeFileSync(file, text);
          found++;
        }
      }
      // One runtime chunk defines it; none or another shape means esbuild changed its helper.
      if (found !== 1)
        return { errors: [{ text: `esm-memo: expected one chunk defining __toESM, found ${found}` }] };
    });
  },
};
