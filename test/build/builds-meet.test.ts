/**
 * Builds that meet each other (BUILDRACE). `npm start` runs `npm run build`; an admin's own
 * `npm run build`, or a second `npm start`, at the same time wrote the same dist/: one build's
 * `rmSync(dist/bundle)` under the other's esbuild, the blob made from both builds' chunks (360
 * command modules of a 300-module bundle in the executable), the other build failing while it
 * injected its blob. Now a build takes dist/.build.lock (scripts/build-lock.mjs) and the second
 * waits, saying so. And Ctrl-C of a build left dist/.blueprint.tmp, the ~115 MB executable it was
 * making, and nothing said the half-written dist/bundle was stale. Real builds into a temporary
 * --out folder (the same inputs as dist/, ~10-20 s each).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const node = path.join(repoRoot, 'node_modules/.bin/node');

/** `node scripts/build.mjs --out OUT` in its own process group (a terminal's foreground job). */
function build(out: string, ...extra: string[]) {
  return buildWith(process.env, out, ...extra);
}

function buildWith(env: NodeJS.ProcessEnv, out: string, ...extra: string[]) {
  const child = spawn(node, ['scripts/build.mjs', '--out', out, ...extra], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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
const leftovers = (out: string) => readdirSync(out).filter((f) => /\.tmp$|\.lock|\.break$/.test(f));

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
    it(`while ${at}: ends with 130, no executable half-made, no lock, dist/ marked stale`, async () => {
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
      // The inputs digest is gone: --if-stale builds again rather than keep a half-written bundle.
      expect(existsSync(path.join(out, '.inputs-x64.sha256'))).toBe(false);
    }, 120_000);
  }

  it('--if-stale after an interrupted rebuild builds anew, not "up to date" over its half-written bundle', async () => {
    const out = tempDir('bp-build-int-again-');
    const inputs = path.join(out, '.inputs-x64.sha256');
    const first = build(out, '--if-stale');
    expect(await first.closed, first.log).toBe(0);
    expect(existsSync(inputs)).toBe(true);
    // A plain rebuild (the same digest: --if-stale is no part of it), interrupted once it has begun.
    const b = build(out);
    await until(
      () => !existsSync(inputs) || b.code !== undefined,
      60_000,
      () => b.log,
    );
    process.kill(-b.child.pid!, 'SIGINT');
    expect(await b.closed, b.log).toBe(130);
    const again = build(out, '--if-stale');
    expect(await again.closed, again.log).toBe(0);
    expect(again.log).toContain('executable: dist/blueprint');
    expect(again.log).not.toContain('up to date');
    expect(readFileSync(inputs, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  }, 240_000);
});
