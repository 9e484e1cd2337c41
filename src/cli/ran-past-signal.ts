import { ExitCode, InterruptedError } from '../app/base.js';
import { interruptionIgnored } from './context.js';
import { reportUncaught } from './index.js';

/**
 * A signal the command took and ran past (context.ts interruptionIgnored): said as an interruption
 * (`error: Interrupted by SIGTERM` and what became of the command; with --json the error document
 * only if nothing was answered on stdout) and returned as the exit code, 130 or 143. Loaded by
 * src/main.ts only then, off the start path.
 */
export function ranPastSignal(): number {
  const reason = interruptionIgnored() as { exitCode?: unknown } | false;
  const sig = reason && reason.exitCode === ExitCode.terminated ? 'SIGTERM' : 'SIGINT';
  return reportUncaught(
    new InterruptedError(
      `Interrupted by ${sig}`,
      'It did not stop at the signal but ran to its end: what it did is done, and what it printed is whole.',
      sig,
    ),
  );
}
