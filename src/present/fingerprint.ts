/**
 * A key's fingerprint as a person reads it, everywhere a front end shows one (bpkg, blueprint, the
 * TUI, the dashboard): upper-case hex without spaces, as GnuPG prints it (`gpg --with-colons`, the
 * form a publisher hands out). One rule with the package manager's errors (core/pkg/fingerprint-text.ts).
 * The keyring and --json keep their own lower case; inputs take either.
 */
import { showFingerprint } from '../core/pkg/fingerprint-text.js';

export { showFingerprint };

/** Several, comma-separated (a repository's keys). */
export const showFingerprints = (fprs: readonly string[]): string => fprs.map(showFingerprint).join(', ');
