/**
 * What `bpkg update` says of one repository (cli/commands/pkg-quick.ts), and what the console's `u`
 * and the dashboard's upgrade say of one they could not update. In the executable's start part
 * (the quick `bpkg update`): built-ins and the escapes only.
 */
import type { UpdateOutcome } from '../app/pkg-quick.js';
import { escapeLine } from './escape.js';
import { showFingerprint } from './fingerprint.js';
import { packageCount } from './package-count.js';

/**
 * An update that could not fetch the index (the repository down or stalling past the update's
 * deadline, its folder or file not there, or access denied: S3's 403 for a wrong credential, a
 * registry wanting a login, or one blueprint would not send to another host): nothing was refused,
 * the index kept is the last verified one. Exit 1, not 4 (a refused signature, hash or schema), so
 * a script tells an outage from a tampered index.
 */
const UNFETCHED = new Set(['network', 'not-found-remote', 'timeout', 'mirror-timeout', 'access-denied']);
export const unfetched = (o: UpdateOutcome): boolean => !o.ok && UNFETCHED.has(o.error?.code ?? '');
/**
 * An update whose index could not be kept (the disk full, a folder not writable, the box's own kept
 * index damaged): nothing was refused either. Exit 7 (storage), as any command's full disk, not 4:
 * a full disk or a damaged file of this box is no tampering by the publisher.
 */
const UNKEPT = new Set(['disk-full', 'not-writable', 'damaged-file']);
export const unkept = (o: UpdateOutcome): boolean => !o.ok && UNKEPT.has(o.error?.code ?? '');

/** Each mirror's error, one line each, when every URL of a repository with mirrors failed. */
const mirrorErrors = (o: UpdateOutcome) =>
  (o.errors ?? []).map((e) => `\n  mirror ${escapeLine(e.url)}: ${escapeLine(e.message)}`).join('');

/** One repository's update: its new or kept version, or why it was not updated (mirrors and hint below it). */
export function updateOutcomeText(o: UpdateOutcome): string {
  return o.ok
    ? `${o.repo}: ${o.changed ? 'updated to' : 'unchanged at'} version ${o.version} (${packageCount(o.packages ?? 0)})${o.boundKey ? `; bound to key ${showFingerprint(o.boundKey)}, the only trusted key` : ''}${o.rotatedKey ? `; now trusts rotated key ${showFingerprint(o.rotatedKey)} for it` : ''}${(o.skipped ?? []).map((m) => `\n  warning: skipped mirror ${escapeLine(m.url)}: ${escapeLine(m.message)}`).join('')}`
    : `${o.repo}: ${unfetched(o) || unkept(o) ? 'not updated' : 'REFUSED'}: ${escapeLine(o.error?.message ?? '')}${mirrorErrors(o)}${o.error?.hint ? `\n  hint: ${escapeLine(o.error.hint)}` : ''}`;
}

/** The lines a front end shows for the repositories an update could not update (none when all were). */
export const notUpdatedLines = (outcomes: UpdateOutcome[]): string[] =>
  outcomes.filter((o) => !o.ok).flatMap((o) => updateOutcomeText(o).split('\n'));
