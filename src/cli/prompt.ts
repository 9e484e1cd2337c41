import { InterruptedError, UsageError } from '../app/index.js';
import { escapeText } from '../present/escape.js';
import type { Context } from './context.js';

/**
 * Asks yes/no on a terminal; `--yes` answers for the user. Refuses (no hang) when nobody can answer.
 * Ctrl-C at the question interrupts the command (exit 130, nothing changed), as it does anywhere
 * else; Ctrl-D (no answer) is the default, no. Either way the next line starts on a line of its own.
 */
export async function confirm(
  ctx: Context,
  question: string,
  whenNoTty: 'proceed' | 'refuse' = 'proceed',
): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.interactive || ctx.json) {
    if (whenNoTty === 'proceed') return true;
    throw new UsageError(`${question} — needs confirmation`, 'Pass --yes to confirm in scripts.');
  }
  // Taken when a question is asked: an import would load readline on every command that opens a box.
  const { createInterface } = process.getBuiltinModule('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // The terminal is raw while readline reads: Ctrl-C is a key here, not a SIGINT to the command.
  // Without a listener readline rejected the question with Node's AbortError, which the command
  // reported as a bug, on the question's line.
  // Closing the interface would leave the question unanswered (and the command would end, exit 0,
  // with nothing said): the question is aborted instead.
  const ctrlC = new AbortController();
  rl.on('SIGINT', () => ctrlC.abort());
  try {
    const answer = (await rl.question(`${escapeText(question)} [y/N] `, { signal: ctrlC.signal }))
      .trim()
      .toLowerCase();
    return answer === 'y' || answer === 'yes';
  } catch (err) {
    if ((err as { code?: string }).code !== 'ABORT_ERR') throw err;
    process.stderr.write('\n');
    if (ctrlC.signal.aborted) throw new InterruptedError('Interrupted by Ctrl-C at the question');
    return false;
  } finally {
    rl.close();
  }
}
