/**
 * Builds that meet each other (BUILDRACE). `npm start` runs `npm run build`; an admin's own
 * `npm run build`, or a second `npm start`, at the same time wrote the same dist/: one build's
 * `rmSync(dist/bundle)` under the other's esbuild, the blob made from both builds' chunks (360
 * command modules of a 300-module bundle in the executable), the other build failing while it
 * injected its blob. Now a build takes dist/.build.lock (scripts/build-lock.mjs) and the second
 * waits, saying so. And Ctrl-C of a build left dist/.blueprint.tmp, the ~115 MB executable it was
 * making, and a half-written dist/bundle beside the old executable (BUILD2: the bundle is now made in
 * dist/.bundle.tmp and swapped in at the end). Real builds into a temporary --out folder (the same
 * inputs as dist/, ~10-20 s each) from a fixed copy of the tree (./fixed-tree.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { fixedTree } from './fixed-tree.js';

let tree: ReturnType<typeof fixedTree>;
beforeAll(() => {
  tree = fixedTree();
}, 120_000);
afterAll(() => tree?.remove(), 120_000);

/** `node scripts/build.mjs --out OUT` in its own process group (a terminal's foreground job). */
function build(out: string, ...extra: string[]) {
  return buildWith(process.env, out, ...extra);
}

function buildWith(env: NodeJS.ProcessEnv, out: string, ...extra: string[]) {
  const child = spawn(
    path.join(tree.root, 'node_modules/.bin/node'),
    ['scripts/build.mjs', '--out', out, ...extra],
    {
      cwd: tree.root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const b = { child: child as ChildProcess, log: '', code: undefined as number | null | undefined };
  child.stdout.on('data', (d) => (b.log += d));
  child.stderr.on('data', (d) => (b.log += d));
  const closed = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      b.code = code ?? (signal === 'SIGINT' ? 130 : null);
      resolve(b.code);
    }),
  );
  return Object.assign(b, { closed });
}

async function until(what: () => boolean, ms: number, why: () => string) {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out:\n${why()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const commandModules = (log: string) => Number(/(\d+) command modules/.exec(log)?.[1]);
const leftovers = (out: string) => readdirSync(out).filter((f) => /\.tmp$|\.old$|\.lock|\.break$/.test(f));

/** Every file under `dir` (but the lock) with the sha256 of its bytes: what a reader of dist/ sees. */
function hashes(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && e.name !== '.build.lock',
  );
  return Object.fromEntries(
    files
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );
}

/** Whether `pid` has a child process named `name` (its /proc stat: "PID (COMM) STATE PPID …"). */
function hasChild(pid: number, name: string): boolean {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid && comm === name) return true;
  }
  return false;
}

describe('two builds of one dist/ at once', () => {
  it('the second waits for the first, saying so; one consistent dist/ is left', async () => {
    const out = tempDir('bp-builds-meet-');
    const first = build(out);
    await until(
      () => existsSync(path.join(out, '.build.lock')),
      30_000,
      () => first.log,
    );
    const second = build(out);
    const [a, b] = await Promise.all([first.closed, second.closed]);
    expect(a, first.log).toBe(0);
    expect(b, second.log).toBe(0);
    expect(second.log).toContain(`build: another build is running (pid ${first.child.pid}), waiting…`);
    expect(first.log).not.toContain('waiting');
    // The executable's chunks are the last build's alone, none of the other's beside them.
    const chunks = readdirSync(path.join(out, 'bundle')).filter(
      (f) => f.endsWith('.mjs') && f !== 'blueprint.mjs',
    );
    expect(commandModules(second.log)).toBe(commandModules(first.log));
    expect(chunks.length).toBe(commandModules(second.log));
    expect(leftovers(out)).toEqual([]);
    // The bundle was made in dist/.bundle.tmp: its sea-config.json names the files where they are
    // now (test/perf reads the executable's caches and options through it).
    const config = JSON.parse(readFileSync(path.join(out, 'bundle/sea-config.json'), 'utf8'));
    expect(config.main).toBe(path.join(out, 'bundle/sea-main.cjs'));
    expect(config.assets['sbom.cdx.json']).toBe(path.join(out, 'sbom.cdx.json'));
    for (const file of Object.values(config.assets) as string[]) expect(existsSync(file), file).toBe(true);
    const version = spawn(path.join(out, 'blueprint'), ['--json', 'version'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    version.stdout.on('data', (d) => (said += d));
    const code = await new Promise((r) => version.on('close', r));
    expect(code).toBe(0);
    expect(JSON.parse(said).arch).toBe('x86_64');
  }, 180_000);

  it('a lock whose build was killed (SIGKILL: no exit of its own) is taken over without waiting', async () => {
    const out = tempDir('bp-builds-stale-');
    const gone = spawn('true');
    await new Promise((r) => gone.on('close', r));
    writeFileSync(path.join(out, '.build.lock'), `${gone.pid}\n`);
    const b = build(out, '--bundle-only');
    expect(await b.closed, b.log).toBe(0);
    expect(b.log).not.toContain('waiting');
    expect(leftovers(out)).toEqual([]);
  }, 120_000);
});

/**
 * A `strip` that says it runs (a file beside it) and takes its time, first on PATH: the build is
 * then surely making its executable when Ctrl-C comes.
 */
function slowStrip(): { env: NodeJS.ProcessEnv; running: string } {
  const bin = tempDir('bp-slow-strip-');
  const running = path.join(bin, 'running');
  writeFileSync(path.join(bin, 'strip'), `#!/bin/sh\ntouch '${running}'\nexec sleep 60\n`);
  chmodSync(path.join(bin, 'strip'), 0o755);
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, running };
}

describe('Ctrl-C of a build', () => {
  // While esbuild bundles (the event loop free), while the code caches are made, and while the
  // executable is stripped (execFileSync: the child gets the terminal's SIGINT too, and a strip
  // that failed was taken for one absent: the build went on to the end after Ctrl-C).
  for (const at of ['bundling', 'making the code caches', 'making the executable'] as const) {
    it(`while ${at}: ends with 130, no executable half-made, no lock, no inputs digest`, async () => {
      const out = tempDir('bp-build-int-');
      const strip = slowStrip();
      const b = buildWith(strip.env, out);
      await until(
        () =>
          at === 'bundling'
            ? existsSync(path.join(out, '.build.lock'))
            : at === 'making the code caches'
              ? b.log.includes('sbom:')
              : existsSync(strip.running),
        60_000,
        () => b.log,
      );
      process.kill(-b.child.pid!, 'SIGINT');
      const code = await b.closed;
      expect(code, b.log).toBe(130);
      expect(leftovers(out), b.log).toEqual([]);
      expect(b.log).not.toContain('executable: dist/blueprint');
      // Nothing of a build: no digest (--if-stale builds), no bundle, no SBOM.
      expect(existsSync(path.join(out, '.inputs-x64.sha256'))).toBe(false);
      expect(readdirSync(out).filter((f) => f !== '.build.lock')).toEqual([]);
    }, 120_000);
  }

  // A rebuild of a built dist/ (`npm run build` after an edit), interrupted while esbuild bundles,
  // at four points: the old dist/ is left as it was, file for file (the bundle used to be removed
  // first and written in place: a half-written dist/bundle beside the old dist/blueprint). And each
  // ends 130: esbuild's service, in the group too, dies of the Ctrl-C, and its "The service was
  // stopped" used to come before the build's own SIGINT handler now and then (exit 1; the flake of
  // this case's first version).
  it('a rebuild interrupted while bundling leaves the old dist/ whole; --if-stale then finds it up to date', async () => {
    const out = tempDir('bp-build-int-again-');
    const inputs = path.join(out, '.inputs-x64.sha256');
    const first = build(out, '--if-stale');
    expect(await first.closed, first.log).toBe(0);
    const before = hashes(out);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['blueprint', 'sbom.cdx.json', 'bundle/blueprint.cjs', '.inputs-x64.sha256']),
    );
    for (const delayMs of [0, 120, 240, 360]) {
      const b = build(out); // a plain rebuild: the same inputs' digest (--if-stale is no part of it)
      await until(
        () => hasChild(b.child.pid!, 'esbuild') || b.code !== undefined,
        60_000,
        () => b.log,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      process.kill(-b.child.pid!, 'SIGINT');
      expect(await b.closed, `Ctrl-C ${delayMs} ms into esbuild's run:\n${b.log}`).toBe(130);
      expect(hashes(out), `Ctrl-C ${delayMs} ms into esbuild's run`).toEqual(before);
      expect(leftovers(out)).toEqual([]);
    }
    const again = build(out, '--if-stale');
    expect(await again.closed, again.log).toBe(0);
    expect(again.log).toContain('up to date');
    expect(readFileSync(inputs, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  }, 240_000);
});
