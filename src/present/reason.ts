import { shownHint } from './root-in-hints.js';

/**
 * An error as the reason a part of the box is "not available" in the console and the dashboard:
 * its message, then its hint (what to do next), as the CLI prints both. Without the hint a screen
 * said only what failed ('RAUC cannot answer: …') where the CLI, for the same error, says what to
 * check. The caller escapes it, as any text from outside.
 */
export function reasonOf(err: unknown): string {
  const e = err as { message?: unknown; hint?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // Its commands on the root this process acts on (`blueprint --root DIR tui`): root-in-hints.ts.
  const hint = typeof e?.hint === 'string' ? shownHint(e.hint.trim()) : '';
  if (!hint) return message;
  return `${message.replace(/[\s.:;,]+$/, '')}. ${hint}`;
}
