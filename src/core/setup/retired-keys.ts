import type { ResolvedRepository } from './keys.js';
import type { Change } from './plan.js';

/**
 * The keys apply stops trusting (`bpkg key remove`) once the repositories of the file no longer
 * bind them (`dropped`: key, upper case, and the repository it is taken off). One kept: a key the
 * file pins for a repository, one another repository of the box is bound to (it signs that one
 * still), one the box holds revoked (the record that it never trusts it again), one not trusted.
 */
export function retiredKeys(
  dropped: Map<string, string>,
  repos: ResolvedRepository[],
  box: { name: string; keys?: string[] }[],
  absent: string[],
  trusted: { fingerprint: string; revoked?: boolean }[],
): Change[] {
  const named = new Set(repos.map((r) => r.name));
  const inUse = new Set([
    ...repos.map((r) => r.key.fingerprint.toUpperCase()),
    ...box
      .filter((b) => !named.has(b.name) && !absent.includes(b.name))
      .flatMap((b) => (b.keys ?? []).map((f) => f.toUpperCase())),
  ]);
  const live = new Set(trusted.filter((k) => !k.revoked).map((k) => k.fingerprint.toUpperCase()));
  return [...dropped]
    .filter(([f]) => !inUse.has(f) && live.has(f))
    .map(([f, repo]) => ({
      action: 'delete',
      kind: 'key',
      target: f,
      what: `stop trusting key retired from ${repo}`,
    }));
}

/**
 * The key a repository keeps bound beside the file's pin `pin` (upper case): on a box that followed
 * a rotation while the file still pins the old key, the key that signs the accepted index now (bound,
 * trusted, not revoked). Taking it off would lock the box out of the repository.
 */
export function rotatedKeyKept(
  box: { keys?: string[]; signer?: string } | undefined,
  pin: string,
  trusted: { fingerprint: string; revoked?: boolean }[],
): string | undefined {
  const signer = box?.signer?.toUpperCase();
  if (!signer || signer === pin) return undefined;
  const bound = (box?.keys ?? []).map((f) => f.toUpperCase());
  const live = trusted.some((t) => t.fingerprint.toUpperCase() === signer && !t.revoked);
  return bound.includes(pin) && bound.includes(signer) && live ? signer : undefined;
}
