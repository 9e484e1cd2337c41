import { VerificationError } from '../errors.js';
import type { RepoIndex } from './format.js';
import { indexDateFault } from './index-dates.js';

export { MAX_CLOCK_SKEW_MS } from './index-dates.js';

/** Refuses an index that is stale (freeze), from the future, or older than the last one (rollback). */
export function checkFreshness(
  at: Date,
  index: Pick<RepoIndex, 'expires' | 'generated' | 'version'>,
  previous: Pick<RepoIndex, 'version'> | undefined,
  what: string,
  sameBytes: boolean,
): void {
  const fault = indexDateFault(at, index);
  if (fault === 'expired')
    throw new VerificationError(
      `${what} expired on ${index.expires}`,
      'index-expired',
      'The repository has not been re-signed: a stale (possibly frozen) mirror. Ask the publisher, or use another mirror.',
    );
  if (fault === 'future')
    throw new VerificationError(
      `${what} is dated ${index.generated}, in the future`,
      'index-from-future',
      'Check this machine’s clock (timedatectl); if it is right, the repository is misconfigured.',
    );
  if (previous && index.version < previous.version)
    throw new VerificationError(
      `${what} has version ${index.version}, older than the accepted ${previous.version} (rollback attack?)`,
      'index-rollback',
      'Keep using the current index; report the mirror to the publisher.',
    );
  if (previous && index.version === previous.version && !sameBytes)
    throw new VerificationError(
      `${what} changed content without raising its version ${index.version}`,
      'index-rollback',
      'The publisher must raise the index version with every change.',
    );
}
