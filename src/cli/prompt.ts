import { UsageError } from '../app/index.js';
import { escapeText } from '../present/escape.js';
import type { Context } from './context.js';

/** Asks yes/no on a terminal; `--yes` answers for the user. Refuses (no hang) when nobody can answer. */
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
  try {
    const answer = (await rl.question(`${escapeText(question)} [y/N] `)).trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}
