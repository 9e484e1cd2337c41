import { vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';

/**
 * Runs the CLI in this process (mocks of the app layer apply); returns its exit code and what it
 * wrote to stdout and stderr. Every mock is restored afterwards, as the callers' own were before.
 */
export async function runCliHere(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    out += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
    err += String(c);
    return true;
  });
  try {
    const code = await runCli(args, 'blueprint');
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}
