// A script of a test's own, importing the repository's TypeScript, run as separate Node processes:
// the lock races (client-token-lock, package-lock-race) need real processes, not async calls in one.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build } from 'esbuild';

const repo = path.resolve(import.meta.dirname, '../..');

/**
 * `source` (TypeScript, imports relative to the repository's root) bundled into `outfile`; `external`
 * packages (native addons) are left to resolve from where `outfile` lies.
 */
export async function bundleChild(source: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    stdin: { contents: source, resolveDir: repo, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    external,
    logLevel: 'warning',
  });
}

/** `cmd` running `args`: its stdout once it exits 0, else an error naming `what` and the exit code. */
export function outputOf(cmd: string, args: string[], what = cmd): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('exit', (c) => (c === 0 ? resolve(out) : reject(new Error(`${what} exited ${c}`))));
  });
}

/** This Node running `args`: its stdout once it exits 0, else an error naming the exit code. */
export const runNode = (args: string[]): Promise<string> => outputOf(process.execPath, args, 'child');
