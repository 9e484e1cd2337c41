import { ExitCode, InterruptedError } from '../app/base.js';
import { reportUncaught } from './index.js';

/**
 * A signal the command took and ran past (runCli), `reason` its abort reason: said as an interruption
 * (`error: Interrupted by SIGTERM` and what became of the command; with --json the error document
 * only if nothing was answered on stdout) and returned as the exit code, 130 or 143. Loaded by
 * runCli only then, off the start path.
 */
export function ranPastSignal(reason: unknown): number {
  const sig = (reason as { exitCode?: unknown })?.exitCode === ExitCode.terminated ? 'SIGTERM' : 'SIGINT';
  return reportUncaught(
    new InterruptedError(
      `Interrupted by ${sig}`,
      'It did not stop at the signal but ran to its end: what it did is done, and what it printed is whole.',
      sig,
    ),
  );
}
