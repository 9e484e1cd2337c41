/**
 * Promise.all for independent steps asked together (engine calls, file reads): waits for every
 * one, then throws the first failure in the order given, not whichever failed first in time, so
 * overlapping steps that used to run one after another keeps the error a user sees the same.
 */
export async function allInOrder<T extends readonly unknown[]>(
  steps: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(steps);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}
