/**
 * Ctrl-C in a command that does not stop between steps (it never takes the abort signal):
 * `repo build`, `repo publish`, `repo sign`... The CLI's SIGINT handler only aborted a signal
 * nobody listened to, so the first Ctrl-C did nothing (a build or an upload ran on to the end and
 * exited 0) and a second one ended it in silence (exit 130, no line said so). Now the first one
 * ends it at once, as the default SIGINT would, saying so (exit 130; with --json the error is
 * the JSON document). A command that takes the signal still stops between its steps (the
 * model-import, rag and setup interruption tests). The real executable; a module whose build.sh
 * waits, so the signal lands while `repo build` runs it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, makeKey, repoRoot } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

async function interruptedBuild(json: boolean) {
  const work = tempDir('bp-int-build-');
  const src = path.join(work, 'slow');
  cpSync(path.join(repoRoot, 'modules/hello'), src, {
    recursive: true,
    filter: (f) => !f.includes('/rootfs'),
  });
  const started = path.join(work, 'started');
  const ended = path.join(work, 'ended');
  // Never builds an image: it says it started, waits, says it ended, and fails.
  writeFileSync(
    path.join(src, 'build.sh'),
    `#!/bin/sh\ntouch '${started}'\nsleep 4\ntouch '${ended}'\nexit 1\n`,
  );
  chmodSync(path.join(src, 'build.sh'), 0o755);
  const key = await makeKey(path.join(work, 'key'));
  const repo = path.join(work, 'repo');
  const args = [...(json ? ['--json'] : []), 'repo', 'build', src, '--repo', repo, '--key', key.privateFile];
  const child = spawn(blueprintExe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT'); // the process alone: its build.sh is left to end by itself
  const code = await closed;
  return { code, out, err, buildShEnded: existsSync(ended), repo };
}

describe('Ctrl-C in a command that does not stop between steps', () => {
  it('ends it at once, saying so (exit 130), before build.sh has ended', async () => {
    const r = await interruptedBuild(false);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toContain('error: Interrupted by SIGINT');
    expect(r.err).toMatch(/^hint: /m);
    // It did not wait for build.sh to end (nor write an index).
    expect(r.buildShEnded).toBe(false);
    expect(existsSync(path.join(r.repo, 'index.json'))).toBe(false);
  });

  it('--json: the error is the JSON document on stdout', async () => {
    const r = await interruptedBuild(true);
    expect(r.code, r.err).toBe(130);
    expect(JSON.parse(r.out)).toEqual({ error: expect.objectContaining({ code: 'interrupted' }) });
  });
});
