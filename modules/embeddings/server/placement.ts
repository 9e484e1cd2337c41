/**
 * Where a batch runs (the main thread or the worker), decided at start from the cost the worker
 * measured and decided again from the batches the service then runs: a start-up measurement taken
 * while the box was busy (every calibration run lost its core) no longer holds for the service's
 * whole life. Only batches in which no thread of the process was preempted count (their time is the
 * work's own), and only those of at least a quarter of the calibration batch's characters (a small
 * one's fixed costs would read as a dear cost per character). Every WINDOW such batches, the
 * fastest of them per character is the new estimate; the decision moves only when that estimate is
 * past the budget by MARGIN either way, and the estimate is adopted only then, so the placement
 * changes at most once a window and only for a clear difference.
 */

/** Clean batches one re-decision reads. */
export const WINDOW = 8;
/** How far past a budget (either way) the new estimate must be to move a decision. */
export const MARGIN = 1.25;

export interface Budgets {
  /** A batch estimated within this many ms runs on the main thread; 0: never. */
  inlineMs: number;
  /** A single input estimated within this many ms runs on the main thread; 0: never. */
  queryMs: number;
}

export class Decision {
  msPerChar: number;
  batchFits: boolean;
  queryFits: boolean;
  private readonly window: number[] = [];
  // Plain fields, not parameter properties: the bench imports the server's files with Node's type stripping.
  private readonly budgets: Budgets;
  private readonly batchChars: number;
  private readonly queryChars: number;

  /**
   * `batchChars`: an ordinary batch's characters (the calibration's); `queryChars`: an ordinary
   * single input's. At start a decision fits when the estimate is within the budget.
   */
  constructor(msPerChar: number, budgets: Budgets, batchChars: number, queryChars: number) {
    this.budgets = budgets;
    this.batchChars = batchChars;
    this.queryChars = queryChars;
    this.msPerChar = msPerChar;
    this.batchFits = budgets.inlineMs > 0 && msPerChar * batchChars <= budgets.inlineMs;
    this.queryFits = budgets.queryMs > 0 && msPerChar * queryChars <= budgets.queryMs;
  }

  /**
   * A batch of `chars` characters that took `ms`, `clean` when no thread was preempted meanwhile.
   * True when the decision changed (then msPerChar, batchFits and queryFits are the new ones).
   */
  observe(chars: number, ms: number, clean: boolean): boolean {
    if (!clean || chars * 4 < this.batchChars || !(ms > 0)) return false;
    this.window.push(ms / chars);
    if (this.window.length < WINDOW) return false;
    const estimate = Math.min(...this.window);
    this.window.length = 0;
    const batch = this.moves(this.batchFits, estimate * this.batchChars, this.budgets.inlineMs);
    const query = this.moves(this.queryFits, estimate * this.queryChars, this.budgets.queryMs);
    if (batch === this.batchFits && query === this.queryFits) return false;
    this.msPerChar = estimate;
    this.batchFits = batch;
    this.queryFits = query;
    return true;
  }

  private moves(fits: boolean, costMs: number, budgetMs: number): boolean {
    if (budgetMs <= 0) return false;
    return fits ? costMs <= budgetMs * MARGIN : costMs <= budgetMs / MARGIN;
  }
}

/** What runs where, for the log: at start and when batches decide it again. */
export function placementLine(
  msPerChar: number,
  { batchChars, queryChars }: { batchChars: number; queryChars: number },
): string {
  const perK = (msPerChar * 1000).toFixed(3);
  return batchChars || queryChars
    ? `${perK} ms per 1,000 characters: on the main thread batches up to ${batchChars} characters and single inputs up to ${queryChars}, the rest in the worker`
    : `${perK} ms per 1,000 characters: every batch runs in the worker`;
}
