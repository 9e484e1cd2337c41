import { VerificationError } from '../errors.js';
import { type FetchContext, fetchPackageSignature } from './fetch.js';
import { showFingerprint } from './fingerprint-text.js';
import { packageFileName } from './format.js';
import type { RepoState } from './repos.js';
import type { Candidate } from './resolve.js';
import { trustedSigners } from './signature.js';
import { joinUrl } from './transport.js';

/**
 * Refuses, before its download, a repository package whose own detached signature names only keys
 * revoked on this box (QA20: 46 MiB fetched to be refused). The signature (a few KB) is fetched
 * from each mirror in turn; the package is refused (`signer-revoked`) when every mirror that serves
 * one names trusted keys and all of them are revoked. Anything else (no revoked key on the box, no
 * signature, an untrusted or a valid signer) is left to the install's own check after the download,
 * which stays: this never accepts a package, it only refuses one early.
 */
export async function refuseRevokedSigner(ctx: FetchContext, c: Candidate, state: RepoState): Promise<void> {
  const revoked = (await ctx.revoked?.()) ?? [];
  if (revoked.length === 0) return;
  const trusted = await ctx.trusted();
  const name = packageFileName(c.entry);
  let signer: string | undefined;
  for (const base of state.urls ?? [state.url]) {
    let fingerprints: string[];
    try {
      const sig = await fetchPackageSignature(joinUrl(base, c.entry.path), name, c.repo, ctx.signal);
      const { signerKeys } = await trustedSigners(sig, trusted, name);
      fingerprints = signerKeys.map((k) => k.getFingerprint());
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      continue; // the install's own check says what is wrong with this mirror's signature
    }
    if (fingerprints.some((f) => !revoked.includes(f))) return;
    signer ??= fingerprints[0];
  }
  if (signer)
    throw new VerificationError(
      `${c.entry.name} ${c.entry.version} is signed by key ${showFingerprint(signer)}, revoked on this box: nothing it signs is accepted`,
      'signer-revoked',
      `Nothing was downloaded. Ask its publisher for a version signed by a valid key (\`bpkg info ${c.entry.name}\` lists the versions its repository offers: \`bpkg install ${c.entry.name}@VERSION\`), or go back to the version you had: \`bpkg rollback ${c.entry.name}\`.`,
    );
}
