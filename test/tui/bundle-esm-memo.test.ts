// The bundle's __toESM keeps one ES view per CommonJS module (scripts/build-esm-memo.mjs, issue 20:
// the console held 11,000 getters, one set per importing module). Built with esbuild as the command
// part is (ES modules, split into chunks), then run by Node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { esmMemo, memoizeToEsm } from '../../scripts/build-esm-memo.mjs';
import { tempDir } from '../setup/temp-registry.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('bp-esm-memo-');
  mkdirSync(path.join(dir, 'src'));
  const src = (name: string, text: string) => writeFileSync(path.join(dir, 'src', name), text);
  // A CommonJS module that gains an export after it was first imported (as a module first seen
  // half-initialised in a cycle would): the next importer must see it.
  src('lib.cjs', 'exports.one = 1; exports.addLate = () => { exports.late = "late"; };\n');
  src('fn.cjs', 'module.exports = function called() { return "called"; }; module.exports.extra = 2;\n');
  src('a.mjs', 'import * as lib from "./lib.cjs"; export const viewA = lib;\n');
  src('b.mjs', 'import * as lib from "./lib.cjs"; export const viewB = lib;\n');
  src('late.mjs', 'import { late } from "./lib.cjs"; export const seen = late;\n');
  src(
    'main.mjs',
    `import { viewA } from './a.mjs';
import { viewB } from './b.mjs';
import fn, { extra } from './fn.cjs';
import { addLate, one } from './lib.cjs';
const same = viewA === viewB;
addLate();
const { seen } = await import('./late.mjs');
console.log(JSON.stringify({ same, one, seen, called: fn(), extra }));
`,
  );
});

async function build(write: boolean, plugins: esbuild.Plugin[]) {
  const outdir = path.join(dir, write ? 'out-disk' : 'out-memory');
  const r = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: { main: 'src/main.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    minifySyntax: true,
    write,
    logLevel: 'silent',
    plugins,
  });
  if (!write) {
    mkdirSync(outdir, { recursive: true });
    for (const f of r.outputFiles ?? []) writeFileSync(f.path, f.text);
  }
  return JSON.parse(execFileSync(process.execPath, [path.join(outdir, 'main.mjs')]).toString());
}

describe('the bundle keeps one ES view per CommonJS module', () => {
  it('hands the same view to two importers, and a fresh one once the module gained an export', async () => {
    for (const write of [true, false]) {
      expect(await build(write, [esmMemo])).toEqual({
        same: true,
        one: 1,
        seen: 'late',
        called: 'called',
        extra: 2,
      });
    }
  });

  it('without it each importer gets its own copy', async () => {
    expect((await build(true, [])).same).toBe(false);
  });

  it("refuses a helper it does not recognise (esbuild's changed)", () => {
    expect(memoizeToEsm('var __toESM = (m) => m;')).toBeUndefined();
  });
});
