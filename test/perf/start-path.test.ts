/**
 * What `blueprint --version`, `blueprint --json version` and `--help` compile before they answer.
 * The bundle is two parts (scripts/build-options.mjs): the start part, one CommonJS file that is the
 * executable's main script, and the command part, ES modules imported when a command runs. Every KB
 * of the start part is compile time on each command (the bundle's 960 KB start path, zod's and
 * semver's, cost 40 ms of a 96 ms start: docs/figures.md); libraries load with the command that
 * needs them. Structural, not timed: `npm run bench -- pkg` times the start.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build helper, no types
import { buildBundle, entryName } from '../../scripts/build-options.mjs';
import { tempDir } from '../setup/temp-registry.js';

const root = path.resolve(import.meta.dirname, '../..');
let out: string;
let built: {
  start: string[];
  lazyStart: string[];
  commands: string[];
  metafile: esbuild.Metafile;
  outputFiles: esbuild.OutputFile[];
};
const file = (name: string) => built.outputFiles.find((f) => path.basename(f.path) === name)!;

beforeAll(async () => {
  out = tempDir('bp-start-');
  built = await buildBundle(esbuild, root, out, { write: false });
}, 300_000); // a whole bundle build: minutes when the machine runs a full CI besides

describe('start-up path', () => {
  it('the start part holds no library a command loads for itself (zod, semver, openpgp, ink, react, dockerode, tar, yaml)', () => {
    const heavy = /^node_modules\/(zod|semver|openpgp|ink|react|dockerode|tar|yaml|execa|@huggingface)\//;
    const lazy = new Set(built.lazyStart);
    expect(built.start.filter((f) => heavy.test(f) && !lazy.has(f))).toEqual([]);
    // The lazy part (loaded by the commands that use it) holds semver, which a first `bpkg update`
    // judges ranges with, and none of the others.
    expect(built.lazyStart.filter((f) => heavy.test(f) && !f.startsWith('node_modules/semver/'))).toEqual([]);
    expect(built.start).toContain('src/cli/commands/version.ts');
    expect(built.start).toContain('src/main.ts');
  });

  it('compiles under 67 KB of bundled code before the command runs', () => {
    const start = file('blueprint.cjs');
    // The lazy modules (LAZY_START, below) are not in it: they are the lazy part, lazy-start.cjs.
    const inputs = Object.entries(built.metafile.outputs).find(([k]) => k.endsWith('/blueprint.cjs'))![1]
      .inputs;
    const lazy = new Set(built.lazyStart);
    const eager = Object.entries(inputs)
      .filter(([m]) => !lazy.has(m.replace(/ with \{.*\}$/, '')))
      .reduce((n, [, i]) => n + i.bytesInOutput, 0);
    // 64 KB until the quick paths' hashes and Ed25519 check came from crypto-lite.ts (~1.3 KB here),
    // which spares them node:crypto's 38 modules (7-11 ms a command); 66.5 until the quick update and
    // writeFileAtomic removed what a killed writer left (fs.ts removeDeadTemps, ~0.4 KB). 66,340 B
    // (2,268 to spare, was 47) since the commands' summaries and the index refusals the quick update
    // never shows left it (the two tests below). 68,122 B (486 to spare, was 30) since CONSOLE11:
    // escape.ts's unassigned code points and invisible runs (~+330 B) paid for by moving escapeData,
    // an unused hasControl and pkg-json's four command-part shapes (pkg-json-query.ts) out.
    expect(eager).toBeLessThan(67 * 1024);
    // ... and no ES module is imported statically: the start runs without the ES module loader.
    expect(start.text).not.toMatch(/\brequire\("\.\//);
  });

  it('answers `bpkg search WORD` and an unchanged `bpkg update` from the start part, loading node:crypto and fs.promises only when used', () => {
    // The quick paths (src/cli/commands/pkg-quick.ts) are in the start part: no ES module loader,
    // no package manager. What they need of Node's heavier built-ins is loaded where they use it,
    // so `--json version` and every other command do not pay for it at start (~4 ms for crypto).
    for (const m of [
      'src/cli/commands/pkg-quick.ts',
      'src/core/pkg/update-fast.ts',
      'src/core/pkg/search-fast.ts',
    ])
      expect(built.start).toContain(m);
    const start = file('blueprint.cjs').text;
    for (const b of ['node:crypto', 'node:fs/promises', 'node:util', 'node:stream'])
      expect(start, b).not.toMatch(new RegExp(`exports = process\\.getBuiltinModule\\("${b}"\\)`));
  });

  it('`service start` runs from the lazy part, loaded and initialised only when the command is run', () => {
    // ~17 ES modules of the command part (each resolved, loaded, compiled and linked through the
    // SEA hooks) were ~12 ms of the ~80 ms of CPU a `service start` took (issue 20); inside
    // blueprint.cjs they cost every `--json version` ~0.7-1 ms (scripts/build-lazy-part.mjs).
    for (const m of [
      'src/cli/commands/service.ts',
      'src/core/services/lifecycle.ts',
      'src/core/services/admission.ts',
    ])
      expect(built.lazyStart).toContain(m);
    const start = file('blueprint.cjs').text;
    const lazyPart = file('lazy-start.cjs').text;
    expect(start).not.toMatch(/import\("\.\/cli-commands-service\.mjs"\)/);
    const wrapped = (text: string) =>
      new Set(
        [...text.matchAll(/__(?:esm|commonJS)\(\{"([^"]+)"\((?:[\w$]+, ?[\w$]+)?\)/g)]
          .map((m) => m[1]!.replace(/ with \{.*\}$/, ''))
          // A built-in's stand-in (lazy-builtin:node:path) is no module of the bundle's.
          .filter((m) => !/^[a-z-]+:/.test(m)),
      );
    // Each lazy module is an esbuild __esm wrapper of the lazy part (__commonJS for a package's
    // CommonJS file), run by its first importer ...
    const inLazy = wrapped(lazyPart);
    for (const m of built.lazyStart) expect(inLazy.has(m), m).toBe(true);
    // ... and none is in blueprint.cjs, which reads them from its table (the getter loads the part).
    expect(wrapped(start)).toEqual(new Set());
    expect(start).toContain('globalThis.__bpStart["src/cli/commands/service.ts"]');
    // The lazy part reads the eager start modules from the table: one copy of each.
    const lazyInputs = Object.keys(
      Object.entries(built.metafile.outputs).find(([k]) => k.endsWith('/lazy-start.cjs'))![1].inputs,
    ).map((m) => m.replace(/ with \{.*\}$/, ''));
    for (const m of built.start.filter((m) => !built.lazyStart.includes(m)))
      expect(lazyInputs.includes(m), m).toBe(false);
    expect(lazyPart).toContain('globalThis.__bpStart["src/core/errors.ts"]');
  });

  it("holds no top-level command's summary: `--help` shows them from the command part (help-text.ts)", async () => {
    // The sixteen summaries were ~1.8 KB of every command's start (src/cli/commands/index.ts), read
    // only by the program's help; src/cli/commands/index.ts keeps each command's name and loader.
    const { topHelp } = await import('../../src/cli/help-text.js');
    const lines = topHelp('blueprint').split('\n');
    const listed = lines.slice(lines.indexOf('Commands:') + 1, lines.indexOf('', lines.indexOf('Commands:')));
    expect(listed.length).toBeGreaterThan(10);
    const start = file('blueprint.cjs').text;
    for (const line of listed) {
      const summary = line.trim().replace(/^\S+\s+/, '');
      expect(summary.length, line).toBeGreaterThan(10);
      // As a whole string literal ('Print the version' begins version's own description).
      const quoted = JSON.stringify(summary).slice(1, -1);
      for (const q of ['"', '`']) expect(start.includes(`${q}${quoted}${q}`), summary).toBe(false);
    }
  });

  it("holds no refusal's text the quick update never shows: it declines, the package manager refuses", () => {
    // update-fast.ts judged an unchanged index's dates with freshness.ts's checkFreshness, whose
    // four refusals (~1.2 KB) pkg-quick.ts's quickUpdate caught and dropped: the package manager
    // answers any index the quick path declines. It judges them with index-dates.ts alone.
    // (freshness.ts is in the lazy part still: the package manager's update, update.ts, brings it.)
    const eager = built.start.filter((m) => !built.lazyStart.includes(m));
    expect(eager).toContain('src/core/pkg/update-fast.ts');
    expect(eager).toContain('src/core/pkg/index-dates.ts');
    expect(eager).not.toContain('src/core/pkg/freshness.ts');
  });

  it('creates no Unicode property class at start: V8 builds each from ICU tables as its literal is made', () => {
    // `/[\p{Cc}…]/u` in src/present/escape.ts, which every command's output goes through, cost
    // 0.7-1 ms of CPU of each start (`--json version` 28.7 -> 27.6 ms beside `node -e 0`'s 27.5,
    // 100 interleaved runs), ICU's property tables paged in (issue 20).
    // One is allowed, as a string given to `new RegExp` when escape.ts first meets a character
    // outside the ranges it knows are assigned (its `\\p{Cn}`, console-unassigned): a regular
    // expression literal is checked as the script is parsed, a string is nothing until then.
    const start = file('blueprint.cjs').text;
    const classes = start.match(/.{0,30}\\[pP]\{.{0,30}/g) ?? [];
    expect(classes.filter((c) => !c.includes('unassigned??=new RegExp("\\\\p{Cn}","u")'))).toEqual([]);
    expect(classes.length).toBe(1);
  });

  it('every dynamic import of the start part names an entry of the command part', () => {
    const start = file('blueprint.cjs').text;
    const imported = [...start.matchAll(/\bimport\("\.\/([A-Za-z0-9-]+)\.mjs"\)/g)].map((m) => m[1]);
    expect(imported.length).toBeGreaterThan(5);
    expect(start.match(/\bimport\(/g)?.length).toBe(imported.length);
    const entries = new Set(built.commands.map((c) => entryName(c)));
    for (const name of imported) {
      expect(entries.has(name!)).toBe(true);
      expect(file(`${name}.mjs`)).toBeDefined();
    }
  });

  it('a start module is bundled once: the command part reads it from the start part', () => {
    // Two copies of src/core/errors.ts would make `err instanceof BlueprintError` false for an
    // error thrown by a command: it would be reported as an internal bug with the wrong exit code.
    const commandInputs = new Set(
      built.outputFiles
        .filter((f) => f.path.endsWith('.mjs'))
        .flatMap((f) => Object.keys(built.metafile.outputs[path.relative(root, f.path)]?.inputs ?? {})),
    );
    // Except a package of the lazy part (semver, which a first `bpkg update` judges ranges with):
    // the command part keeps its own copy, or each command using it would load the lazy part. Only
    // strings cross between the copies (versions and ranges), no object of either's classes.
    for (const m of built.start)
      expect(commandInputs.has(m) && !m.startsWith('node_modules/semver/'), m).toBe(false);
    const startInputs = Object.keys(
      Object.entries(built.metafile.outputs).find(([k]) => k.endsWith('/blueprint.cjs'))![1].inputs,
    );
    for (const m of built.lazyStart) expect(startInputs.includes(m), m).toBe(false);
    const readers = built.outputFiles.filter((f) =>
      f.text.includes('globalThis.__bpStart?.["src/core/errors.ts"]'),
    );
    expect(readers.length).toBe(1);
    // The start part publishes each of its modules before its main runs.
    const start = file('blueprint.cjs').text;
    // (Minified: no spaces around '='; indexOf of 'globalThis.__bpStart =' was -1, always less.)
    const published = start.search(/globalThis\.__bpStart ?=/);
    expect(published).toBeGreaterThan(-1);
    expect(published).toBeLessThan(start.indexOf('runCli(process.argv'));
  });
});
