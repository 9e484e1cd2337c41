/**
 * A key's fingerprint as a person reads it, everywhere a front end shows one (bpkg, blueprint, the
 * TUI, the dashboard): upper-case hex without spaces, as GnuPG prints it (`gpg --with-colons`, the
 * form a publisher hands out). The keyring and --json keep their own lower case; inputs take either.
 */
export const showFingerprint = (fpr: string): string => fpr.replace(/\s+/g, '').toUpperCase();

/** Several, comma-separated (a repository's keys). */
export const showFingerprints = (fprs: readonly string[]): string => fprs.map(showFingerprint).join(', ');
