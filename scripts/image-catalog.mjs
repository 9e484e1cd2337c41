#!/usr/bin/env node
// The image's offline catalog (issue 18): every module in modules/ and one demo model package,
// built into a signed folder repository (index.json, index.json.asc, pool/). Run by
// scripts/build-image.sh ("offline catalog" stage); usable alone:
//
//   node scripts/image-catalog.mjs --bin dist/blueprint --key KEYDIR --out REPO [--cache DIR] [--days N] [--arch A]
//
// KEYDIR is what `blueprint repo keygen --out KEYDIR` writes (signing-key.asc, signing-key.pub.asc).
// Built packages are kept in --cache by content: a digest of everything a package is made from
// (the module's folder, the recipe kit, the lock file, the model, the packaging code of blueprint,
// the key) names its folder there, so rebuilding the image rebuilds only what changed, and
// reuses the signed package files as they were. The index is signed afresh on every run.
//
// The models are the repository's tiny test models with random weights, named demo-* so that no
// one takes them for real ones: they let a box without network try embeddings, llm and rag end to
// end (image/README.md). A release puts its own models in their place (DEMO below).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string', default: path.join(repoRoot, 'dist/blueprint') },
    key: { type: 'string' },
    out: { type: 'string' },
    cache: { type: 'string' },
    days: { type: 'string', default: '1095' },
    arch: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help || !opt.key || !opt.out) {
  console.error(
    'usage: node scripts/image-catalog.mjs --key KEYDIR --out REPO [--bin FILE] [--cache DIR] [--days N] [--arch x86_64|aarch64]',
  );
  process.exit(opt.help ? 0 : 2);
}
const bin = path.resolve(opt.bin);
const out = path.resolve(opt.out);
const keyDir = path.resolve(opt.key);
const cache = opt.cache ? path.resolve(opt.cache) : undefined;
const node = process.execPath;

/** The demo models: the test fixtures, under names that say what they are. */
const DEMO = {
  embeddings: { fixture: 'test/fixtures/models/tiny-bert', name: 'demo-tiny-bert' },
  llm: { fixture: 'test/fixtures/models/tiny-llama', name: 'demo-tiny-llama' },
};
const DEMO_NOTE = 'random weights, for trying it offline';

/** Files of blueprint's own code that shape a package (its layout, manifest checks, module images). */
const PACKAGING = [
  'package-lock.json',
  'scripts/image-catalog.mjs',
  'src/core/pkg/build.ts',
  'src/core/pkg/format.ts',
  'src/core/services/images.ts',
  'src/core/services/schema.ts',
  'modules/kit',
];

const files = (p) => {
  const full = path.join(repoRoot, p);
  if (!statSync(full).isDirectory()) return [p];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith('modules/hello/rootfs/')) // build.sh's output, made from hello.c
    .sort();
};

/** What one package is made of, as one digest; the same digest, the same package. */
function digestOf(paths) {
  const h = createHash('sha256');
  h.update(`node ${process.version} arch ${opt.arch ?? 'native'}\n`);
  h.update(readFileSync(path.join(keyDir, 'signing-key.pub.asc')));
  for (const f of [...PACKAGING, ...paths].flatMap(files)) {
    h.update(`${f}\0`);
    h.update(readFileSync(path.join(repoRoot, f)));
  }
  return h.digest('hex').slice(0, 32);
}

const modules = readdirSync(path.join(repoRoot, 'modules'))
  .filter((m) => existsSync(path.join(repoRoot, 'modules', m, 'manifest.json')))
  .sort();
const model = { name: `model-${DEMO.llm.name}`, fixture: DEMO.llm.fixture };
const units = [
  ...modules.map((m) => ({
    name: m,
    digest: digestOf([`modules/${m}`, ...(DEMO[m] ? [DEMO[m].fixture] : [])]),
  })),
  {
    name: model.name,
    digest: digestOf(['modules/llm/model-package.ts', 'src/core/models/manifest.ts', model.fixture]),
  },
];

const work = `${out}.work`;
rmSync(out, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(out, 'pool'), { recursive: true });
mkdirSync(work, { recursive: true });

/** Runs a step whose own error output says what went wrong; on failure, stops here with its name. */
function run(what, file, args) {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    console.error(
      `image-catalog: ${what} failed (exit ${err.status ?? err.signal ?? err.message}); ${out} is incomplete`,
    );
    process.exit(1);
  }
}
const recipe = (script, args) => run(script, node, [path.join(repoRoot, script), ...args]);

/** A demo model folder named for what it is (the recipes name the model after its folder). */
function demoModel(unit) {
  const dir = path.join(work, 'models', DEMO[unit].name);
  cpSync(path.join(repoRoot, DEMO[unit].fixture), dir, { recursive: true, dereference: true });
  return dir;
}

function editManifest(dir, edit) {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  edit(m);
  writeFileSync(file, `${JSON.stringify(m, null, 2)}\n`);
}

/** The package source folder of one unit, as its recipe writes it. */
function source(unit) {
  const src = path.join(work, 'src', unit);
  if (unit === model.name) {
    recipe('modules/llm/model-package.ts', ['--model', demoModel('llm'), '--out', src, '--license', 'MIT']);
    editManifest(src, (m) => {
      m.summary = `Demo language model ${DEMO.llm.name} (GGUF) for the llm module: ${DEMO_NOTE}`;
    });
    return src;
  }
  if (!existsSync(path.join(repoRoot, 'modules', unit, 'package.ts')))
    return path.join(repoRoot, 'modules', unit);
  recipe(`modules/${unit}/package.ts`, [
    ...(unit === 'embeddings' ? ['--model', demoModel(unit)] : []),
    ...(opt.arch ? ['--arch', opt.arch] : []),
    '--out',
    src,
  ]);
  if (unit === 'embeddings')
    editManifest(src, (m) => {
      m.summary = `${m.summary} (demo model ${DEMO.embeddings.name}: ${DEMO_NOTE})`;
    });
  return src;
}

const t0 = Date.now();
const missing = [];
for (const u of units) {
  const hit = cache && path.join(cache, u.name, u.digest);
  if (hit && existsSync(path.join(hit, 'done'))) {
    cpSync(hit, path.join(out, 'pool', u.name), {
      recursive: true,
      filter: (s) => path.basename(s) !== 'done',
    });
    console.error(`catalog: ${u.name} from the cache (${u.digest})`);
  } else missing.push(u);
}
const sources = missing.map((u) => {
  const t = Date.now();
  const s = source(u.name);
  console.error(`catalog: ${u.name} source made in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return s;
});

// The index version is the build time: an image built later carries a newer catalog, and a box
// refuses an older one (rollback) once it has accepted this one. repo build adds one to it.
writeFileSync(
  path.join(out, 'index.json'),
  `${JSON.stringify({ version: Math.floor(Date.now() / 1000) - 1 })}\n`,
);
run('blueprint repo build', bin, [
  'repo',
  'build',
  ...sources,
  '--repo',
  out,
  '--name',
  'blueprint-catalog',
  // needs.json: what each package needs, signed, so the wizard lists the catalog without reading
  // 213 MB of archives at first boot (issue 18).
  '--catalog-needs',
  '--expires-days',
  opt.days,
  '--key',
  path.join(keyDir, 'signing-key.asc'),
  ...(opt.arch ? ['--arch', opt.arch] : []),
]);

// Keep what was built, by digest; older builds of the same package go.
if (cache)
  for (const u of missing) {
    const dir = path.join(cache, u.name);
    const tmp = path.join(dir, `.${u.digest}.tmp`);
    rmSync(dir, { recursive: true, force: true });
    cpSync(path.join(out, 'pool', u.name), tmp, { recursive: true });
    writeFileSync(path.join(tmp, 'done'), '');
    renameSync(tmp, path.join(dir, u.digest));
  }
rmSync(work, { recursive: true, force: true });

const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8'));
const bytes = index.packages.reduce((n, p) => n + p.size, 0);
console.error(
  `catalog: ${index.packages.length} packages (${index.packages.map((p) => p.name).join(', ')}), ` +
    `${(bytes / 2 ** 20).toFixed(1)} MiB, ${missing.length} built, ${units.length - missing.length} cached, ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
