import type { RepoIndex } from './format.js';

/** Clock skew tolerated for an index dated in the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * What is wrong with an index's dates at `at`: past its expiry, or generated in the future (beyond
 * the skew); undefined when neither. freshness.ts refuses with the reason; the quick update
 * (update-fast.ts, in the executable's start part) declines, and the package manager refuses: its
 * texts stay out of every command's start (test/perf/start-path.test.ts).
 */
export function indexDateFault(
  at: Date,
  index: Pick<RepoIndex, 'expires' | 'generated'>,
): 'expired' | 'future' | undefined {
  const now = at.getTime();
  if (Date.parse(index.expires) <= now) return 'expired';
  if (Date.parse(index.generated) > now + MAX_CLOCK_SKEW_MS) return 'future';
  return undefined;
}
