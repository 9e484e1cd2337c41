import { vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';

/**
 * Runs the CLI in this process (mocks of the app layer apply); returns its exit code and what it
 * wrote to stdout and stderr. Every mock is restored afterwards, as the callers' own were before.
 */
export async function runCliHere(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  // The write's callback is called, as the real stream's is: a command that ends its output
  // stream (`service logs`) waits for it.
  const done = (a?: unknown, b?: unknown) =>
    typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((c, a?: unknown, b?: unknown) => {
    out += String(c);
    queueMicrotask(() => done(a, b)?.());
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c, a?: unknown, b?: unknown) => {
    err += String(c);
    queueMicrotask(() => done(a, b)?.());
    return true;
  });
  try {
    const code = await runCli(args, 'blueprint');
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}
