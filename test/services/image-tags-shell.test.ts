/**
 * The commands a removal with the engine down hands the admin (image-tags.ts removeWhenBack) hold
 * a box's identity, and for a root that is gone its path, which anyone who named the folder chose:
 * the path was put between single quotes by hand, so a quote in it ended the word and a `$(…)`
 * after it ran when the admin pasted the command. Each variable piece is one shell word now
 * (system/shell-word.ts). The command is run by sh with a `podman` that records its arguments.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { legacyModuleImageTag, pathImageTag, removeWhenBack } from '../../src/core/services/image-tags.js';
import { BOX_LABEL } from '../../src/core/services/policy.js';
import { tempDir } from '../helpers/pkg.js';

/** Runs `command` with a podman that writes each call's arguments, NUL-separated, to a file. */
function runRecorded(command: string, dir: string): string[][] {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const log = path.join(dir, 'calls');
  writeFileSync(
    path.join(bin, 'podman'),
    `#!/bin/sh\nprintf '%s\\0' "$@" >> '${log}'\nprintf '\\n' >> '${log}'\n`,
  );
  chmodSync(path.join(bin, 'podman'), 0o755);
  execFileSync('sh', ['-c', command], { env: { PATH: `${bin}:/usr/bin:/bin` }, stdio: 'pipe' });
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\0').slice(0, -1));
}

describe('the commands said for a removed module image', () => {
  it("a gone root's path with a quote and $(…) is one word: nothing runs, podman gets it whole", () => {
    const dir = tempDir('bp-tagshell-');
    const marker = path.join(dir, 'PWNED');
    const root = path.join(dir, `box'$(touch ${marker})'x "y"`); // never made: a root removed meanwhile
    const id = `sha256:${'ab'.repeat(32)}`;
    const { remove, shared } = removeWhenBack(root, 'hello', '1.0.0', id);
    const [legacy, byPath] = [
      legacyModuleImageTag('hello', '1.0.0'),
      pathImageTag('hello', '1.0.0', root),
    ].map((t) => `${t.repo}:${t.tag}`);
    expect(shared).toBe(`${legacy} or ${byPath}`);
    const calls = runRecorded(remove, dir);
    expect(existsSync(marker)).toBe(false);
    expect(calls).toEqual([
      [
        'rm',
        '-f',
        '--filter',
        'name=^blueprint-hello$',
        '--filter',
        `label=${BOX_LABEL}=gone ${root}`,
        '--filter',
        `ancestor=${'ab'.repeat(32)}`,
      ],
      ['rmi', '--ignore', legacy, byPath],
    ]);
  });
});
