/**
 * A key's fingerprint (or key ID) as a person reads it: upper-case hex without spaces, as GnuPG
 * prints it (`gpg --with-colons`, the form a publisher hands out). Defined here because the
 * package manager's errors quote fingerprints; the front ends take it from src/present/fingerprint.ts.
 * The keyring, the repository files and --json keep their lower case; inputs take either.
 */
export const showFingerprint = (fpr: string): string => fpr.replace(/\s+/g, '').toUpperCase();
