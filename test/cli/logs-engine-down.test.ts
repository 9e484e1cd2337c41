/**
 * `blueprint service logs -f NAME` with the container engine down: following needs the engine
 * (the log file on disk can be read without it, not followed). It already said so (exit 6, the
 * error and how to start the engine, no stack), but not that the lines so far were there to read:
 * the hint now says `blueprint service logs NAME` (without --follow) shows them, when there are
 * any. Without -f the lines kept on disk are shown, with a warning that the engine is down.
 * `--json logs -f` ignored -f: it printed the kept lines as one document and exited 0, engine down
 * or not; it now follows (one {time, line} object a line), and with the engine down fails as -f does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../setup/temp-registry.js';

function deadEngineBox(kept = true): string {
  const root = tempDir('bp-logs-down-');
  installedRag(root);
  if (kept) {
    const dir = path.join(root, 'var/log/blueprint/services');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'rag.log'), '2026-12-03T05:00:00.000000000+00:00 stdout F hello from rag\n');
  }
  const dead = path.join(tempDir('bp-deadsock-'), 'nothing.sock');
  mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
  writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket: dead } }));
  return root;
}

describe('service logs with the engine down', () => {
  it('-f: a clear error, what to do next, exit 6 (as other engine-down errors), no stack', async () => {
    const root = deadEngineBox();
    for (const args of [
      ['service', 'logs', '-f', 'rag'],
      ['service', 'logs', '--follow', '--tail', '5', 'rag'],
    ]) {
      const r = await runCliHere(['--root', root, ...args]);
      expect(r.code, r.err).toBe(6);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^error: .*container engine is not running/m);
      expect(r.err).toMatch(/^hint: .*/m);
      expect(r.err).toMatch(
        /hint: .*`blueprint --root \S+ service logs rag` \(without --follow\) shows the lines kept on disk/,
      );
      expect(r.err).not.toMatch(/\n\s+at /); // no stack
    }
    const json = await runCliHere(['--root', root, '--json', 'service', 'logs', '-f', 'rag']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.out).error).toMatchObject({ code: 'engine-down' });
  });

  it('-f with no logs kept (never started): the same error, no pointer to logs that are not there', async () => {
    const r = await runCliHere(['--root', deadEngineBox(false), 'service', 'logs', '-f', 'rag']);
    expect(r.code, r.err).toBe(6);
    expect(r.err).toMatch(/^error: .*container engine is not running/m);
    expect(r.err).not.toMatch(/kept on disk/);
  });

  it('without -f: the lines kept on disk, with a warning', async () => {
    const root = deadEngineBox();
    const r = await runCliHere(['--root', root, 'service', 'logs', 'rag']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('hello from rag');
    expect(r.err).toMatch(/engine/i);
  });
});
