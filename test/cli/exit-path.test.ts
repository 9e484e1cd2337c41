/**
 * The executable leaves through process.exit once the event loop has nothing left (src/main.ts,
 * 'beforeExit'; issue 20: the heap's teardown skipped). Nothing written may be lost on the way out,
 * whatever standard output is, and the exit code stays the command's. A pipe of 4 KB whose reader
 * waits before reading makes the answer (the 51 KB SBOM) wait in the writer: blocking, the direct
 * write waits; non-blocking (EAGAIN), the rest goes through process.stdout's stream, whose pending
 * write must still end up in the pipe.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const hasPython = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;

/** Runs the executable into a 4 KB pipe read only after `waitMs`; the bytes read and its exit code. */
function throughSmallPipe(args: string[], blocking: boolean, waitMs = 300): { bytes: number; code: number } {
  const script = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
os.set_blocking(w, ${blocking ? 'True' : 'False'})
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(${waitMs / 1000})
n = 0
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    n += len(chunk)
print(n, p.wait())
`;
  const out = execFileSync('python3', ['-c', script, blueprintExe, ...args])
    .toString()
    .trim();
  const [bytes, code] = out.split(' ').map(Number);
  return { bytes: bytes!, code: code! };
}

describe('the way out of the executable', () => {
  it.skipIf(!hasPython)('loses nothing into a full pipe, blocking or not, and exits 0', () => {
    const expected = execFileSync(blueprintExe, ['audit', 'sbom']).length;
    expect(expected).toBeGreaterThan(10 * 4096); // ten times the pipe
    expect(throughSmallPipe(['audit', 'sbom'], true)).toEqual({ bytes: expected, code: 0 });
    expect(throughSmallPipe(['audit', 'sbom'], false)).toEqual({ bytes: expected, code: 0 });
  });

  it('writes the whole answer to a file', () => {
    const file = path.join(tempDir('bp-exit-'), 'out.json');
    const r = spawnSync('sh', ['-c', `"${blueprintExe}" audit sbom > "${file}"`]);
    expect(r.status).toBe(0);
    expect(readFileSync(file)).toEqual(execFileSync(blueprintExe, ['audit', 'sbom']));
  });

  it("keeps each command's exit code, with its answer on stdout and its error on stderr", () => {
    const root = tempDir('bp-exit-root-');
    const version = spawnSync(blueprintExe, ['--json', 'version']);
    expect(version.status).toBe(0);
    expect(JSON.parse(version.stdout.toString()).version).toMatch(/^\d/);
    const usage = spawnSync(blueprintExe, ['no-such-command']);
    expect(usage.status).toBe(2);
    expect(usage.stderr.toString()).toContain('Unknown command: no-such-command');
    const missing = spawnSync(blueprintExe, ['--root', root, '--json', 'pkg', 'info', 'nosuch']);
    expect(missing.status).toBe(3);
    expect(JSON.parse(missing.stdout.toString()).error.code).toBe('not-found');
    expect(missing.stderr.toString()).toContain(
      `hint: No repository is configured: add one with \`bpkg --root ${root} repo add NAME URL\``,
    );
  });
});
