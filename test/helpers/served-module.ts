/**
 * A module's server as its container runs it, without the container: the module's esbuild bundle
 * in its own Node process on a unix socket, its stderr kept as the log. Each module's tests add
 * their environment (test/vectors/served.ts, test/embeddings/served.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

/** Older than this, a test's bundle or data folder is left over from a finished run. */
const STALE_MS = 6 * 3600_000;

/**
 * A folder for one module's test bundles, data folders and sockets, inside node_modules so that a
 * bundle's external native packages (hnswlib-node, onnxruntime-node) resolve as in the image.
 * Test files keep their bundle to the end and nothing removes it then (tempDir's clean-up is for
 * folders under the system's temp folder), so folders left from runs hours ago are removed here.
 */
export function moduleCache(name: string): string {
  const dir = join(repo, 'node_modules/.cache', `blueprint-${name}-test`);
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    try {
      if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    } catch {} // gone meanwhile (another test file swept it)
  }
  return dir;
}

/** The server bundled by the module's recipe (its `bundleServer`) into a fresh folder of `cache`. */
export async function bundleInto(
  cache: string,
  bundleServer: (out: string) => Promise<unknown>,
): Promise<string> {
  const file = join(mkdtempSync(join(cache, 'b-')), 'server.mjs');
  await bundleServer(file);
  return file;
}

export interface ServedProcess {
  socket: string;
  pid: number;
  /** Everything the service wrote to stderr so far (its log). */
  log(): string;
  /** The exit code, once it exits. */
  exited: Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s); the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `serverFile` with BLUEPRINT_SOCKET in a fresh folder of `cache` and `env`, and waits
 * (at most 60 s) until it logs "serving ". `prefix` runs before node (e.g. prlimit and its flags).
 * The folder goes when the process is killed or stopped.
 */
export async function serveBundle(
  cache: string,
  serverFile: string,
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<ServedProcess> {
  const dir = mkdtempSync(join(cache, 's-'));
  const served = await spawnServed(serverFile, env, join(dir, 'api.sock'), { prefix });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  return {
    ...served,
    kill: () => served.kill().then(removeDir),
    stop: async () => {
      const code = await served.stop();
      removeDir();
      return code;
    },
  };
}

/**
 * Starts `serverFile` (after `prefix`) with BLUEPRINT_SOCKET=`socket` and `env`, and waits until
 * its log matches `ready` (at most `startMs`); stop is SIGTERM, then SIGKILL after `killAfterMs`.
 */
export async function spawnServed(
  serverFile: string,
  env: Record<string, string>,
  socket: string,
  { prefix = [] as string[], ready = /serving /, startMs = 60_000, killAfterMs = 10_000 } = {},
): Promise<ServedProcess> {
  let text = '';
  const [cmd, ...args] = [...prefix, process.execPath, serverFile];
  const child: ChildProcess = spawn(cmd!, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BLUEPRINT_SOCKET: socket, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + startMs;
  while (!ready.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${serverFile} did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    socket,
    pid: child.pid!,
    log: () => text,
    exited,
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      let t: NodeJS.Timeout | undefined;
      if (!gone()) {
        child.kill('SIGTERM');
        t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
