import { hostArch } from '../version.js';
import { fetchPackageSignature, fromMirrors } from './fetch.js';
import { packageFileName } from './format.js';
import type { PlannedChange } from './install.js';
import type { ManagerParts } from './parts.js';
import { archMatches } from './resolve.js';
import { refuseRevokedSigner } from './revoked-first.js';
import { keyNamed, keyUnusableNow, noGoodSignature, type PublicKey, trustedSigners } from './signature.js';
import { joinUrl } from './transport.js';

/**
 * Who signed each package of a plan from a repository: the fingerprint (lower case) of the trusted
 * key its own detached signature names. Only the signature is fetched (a few KB), never the
 * package, from the repository's URLs in the install's order (its mirrors after the first).
 * Refused as the install refuses it: no signature (`no-signature`), no trusted key
 * (`untrusted-signer`, e.g. the key removed since the index was fetched), only keys revoked on the
 * box (`signer-revoked`), only keys revoked or expired since (`key-not-valid`), or a key trusted only for another repository
 * (`wrong-repository-key`: the install's `requireOwnSigner`, repos.ts). Of several trusted signers,
 * one bound to the repository is named, as the install's quick check takes it. A package file
 * given was checked by the plan itself. For `bpkg install --dry-run` and `bpkg upgrade --dry-run`.
 */
export async function planSigners(p: ManagerParts, changes: PlannedChange[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const fromRepos = changes.filter((c) => c.file === undefined);
  if (fromRepos.length === 0) return out;
  const states = await p.repos.states();
  const trusted = await p.keyring.keys();
  for (const c of fromRepos) {
    const state = states.find((s) => s.name === c.repo);
    const entry = state?.index.packages.find(
      (e) => e.name === c.name && e.version === c.to && archMatches(e.arch, hostArch()),
    );
    if (!state || !entry) continue;
    const file = packageFileName(entry);
    // Signed by revoked keys only: the install's refusal before its download, in its words.
    await refuseRevokedSigner(p.fetchContext, { entry, repo: c.repo }, state);
    // From each URL in turn, as the install (fetch.ts checkPackageSignature): one whose signature
    // is missing or names no trusted, valid key is skipped; the first refusal when none serves one.
    const usable = await fromMirrors(state, p.signal, async (base) => {
      const sig = await fetchPackageSignature(joinUrl(base, entry.path), file, c.repo, p.signal);
      return validSigners(sig, trusted, file, p.now());
    });
    const signer = (
      usable.find((k) => state.keys.includes(k.getFingerprint())) ?? usable[0]!
    ).getFingerprint();
    out.set(c.name, p.repos.requireOwnSigner(state, signer, file));
  }
  return out;
}

/**
 * The trusted keys `sig` names that may vouch for anything now, judged as verifyDetached judges
 * each signature once the install has read the package: none (every one revoked or expired since
 * the index was fetched) is its refusal, in its words (`key-not-valid`).
 */
async function validSigners(
  sig: Uint8Array,
  trusted: PublicKey[],
  what: string,
  now: Date,
): Promise<PublicKey[]> {
  const { sig: parsed, signerKeys } = await trustedSigners(sig, trusted, what);
  const problems: string[] = [];
  const usable: PublicKey[] = [];
  for (const id of parsed.getSigningKeyIDs()) {
    const key = signerKeys.find((k) => k.getKeys(id).length > 0);
    if (!key) continue;
    const unusable = await keyUnusableNow(key, id, now);
    if (unusable) problems.push(`${keyNamed(signerKeys, id)} is ${unusable}`);
    else if (!usable.includes(key)) usable.push(key);
  }
  if (usable.length === 0) throw noGoodSignature(what, problems);
  return usable;
}
