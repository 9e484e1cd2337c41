import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';

/**
 * `bpkg search … | head` closes the pipe while the answer is still being written. A reader that
 * leaves must not turn into a stack trace and exit 1: the output is dropped, the command finishes
 * its work and exits as it would have.
 */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(blueprintExe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the first write.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed standard output', () => {
  for (const args of [['--help'], ['--json', 'version'], ['pkg', '--help']]) {
    it(`blueprint ${args.join(' ')} exits 0 with no stack trace`, async () => {
      const { code, stderr } = await runWithClosedStdout(args);
      expect(stderr).not.toMatch(/EPIPE|at .*\(/);
      expect(code).toBe(0);
    });
  }
});
