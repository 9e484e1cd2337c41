/**
 * A key's fingerprint (or key ID) as a person reads it: upper-case hex without spaces, as GnuPG
 * prints it (`gpg --with-colons`, the form a publisher hands out). Defined here because the
 * package manager's errors quote fingerprints; the front ends take it from src/present/fingerprint.ts.
 * The keyring, the repository files and --json keep their lower case; inputs take either. What is
 * no hex at all (an admin's `bpkg key remove alice@example.com`) is quoted as it was given.
 */
export const showFingerprint = (fpr: string): string => {
  const hex = fpr.replace(/\s+/g, '');
  return /^[0-9a-f]*$/i.test(hex) ? hex.toUpperCase() : fpr;
};
