import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { blueprintExe } from './pkg.js';

/**
 * A folder repository served over HTTP that never answers the `holdAt`-th package file asked for
 * and calls `onHeld` then: a test acts (a Ctrl-C, a swapped folder) while a download is in flight.
 * `holdAt = Infinity` serves everything; `asked` counts the package files asked for.
 */
export interface HoldingMirror {
  readonly url: string;
  asked: number;
  holdAt: number;
  onHeld: () => void;
  close(): void;
}

export async function holdingMirror(repo: string, holdAt = 2): Promise<HoldingMirror> {
  const server = createServer((req, res) => {
    const file = decodeURIComponent(req.url ?? '/').replace(/^\/+|\?.*$/g, '');
    if (file.endsWith('.bpkg') && ++mirror.asked === mirror.holdAt) return mirror.onHeld();
    try {
      const body = readFileSync(path.join(repo, file));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const mirror: HoldingMirror = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    asked: 0,
    holdAt,
    onHeld: () => {},
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
  return mirror;
}

/** `bpkg --root ROOT bundle …ARGS`, the executable as bpkg, its stderr collected in `err()`. */
export function bundleChild(root: string, args: string[]): ChildProcess & { err(): string } {
  const child = spawn(blueprintExe, ['--root', root, 'bundle', ...args], {
    argv0: 'bpkg',
    env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return Object.assign(child, { err: () => err });
}

/** The child's exit code once it has closed. */
export const closed = (child: ChildProcess) => new Promise<number | null>((r) => child.on('close', r));
