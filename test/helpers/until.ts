/**
 * Waits until `cond()` holds, polling every `stepMs`, for at most `ms`; past that, throws saying
 * what was awaited. For a test that needs a state before its next step: a fixed sleep standing for
 * that state ("the server has it by now") was outrun by a loaded machine.
 */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 30_000,
  stepMs = 10,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
