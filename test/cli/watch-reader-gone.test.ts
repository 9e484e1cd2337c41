/**
 * `blueprint service watch | head -1`: once the reader had gone, each event's line met EPIPE, which
 * was dropped (cli/out.ts), and the watch went on supervising, unseen, for ever. It now stops as
 * `service logs` does (e67fdd35) and `tail -f | head` ends: at the first line nobody reads, exit 0,
 * nothing on stderr but its start note, the services as they were. The executable, its stdout
 * closed before the first write, on a box with a registration and no engine: the first look's event
 * (the engine does not answer) is the line written.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { blueprintExe, filesSnapshot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

function deadEngineBox(): string {
  const root = tempDir('bp-watch-gone-');
  installedRag(root);
  const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket: dead } }));
  return root;
}

/** `service watch` with its reader gone before the first write; killed if still running after `ms`. */
function watchUnread(args: string[], ms = 10_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(blueprintExe, [...args, 'service', 'watch'], {
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('service watch whose reader goes away', () => {
  it.each([[[]], [['--json']]])(
    '%j: stops at the unread line, exit 0, the box unchanged',
    async (extra) => {
      const root = deadEngineBox();
      const before = filesSnapshot(path.join(root, 'var'));
      const r = await watchUnread(['--root', root, ...extra]);
      expect(r.code, `still watching when killed; stderr: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/EPIPE|error:|\n\s+at /);
      expect(filesSnapshot(path.join(root, 'var'))).toEqual(before);
    },
    20_000,
  );
});
