import { LOCAL_ORIGIN } from './local-key-path.js';
import type { ManagerParts } from './parts.js';
import type { RepoConfig } from './repo-config.js';
import { RepoTrust } from './repo-trust.js';
import type { PublicKey } from './signature.js';

/**
 * The keys an installed or kept version may be signed by now, as an install from where it came
 * from (its origin) would accept its bytes: a key trusted for one repository signs nothing of
 * another's, and a key no longer trusted signs nothing (`bpkg rollback` and `bpkg verify` judge a
 * kept signature by this: signer-revoked.ts keptSigning).
 */
export interface OriginKeys {
  /** The origin judged: a repository's name, `file` (a package file) or `local` (the box's own). */
  origin: string;
  /** The primary fingerprints a version from there may be signed by (lower case). */
  allowed: string[];
  /** `origin` is a repository configured now (else a package file's rule: any trusted key). */
  repository: boolean;
}

/** originJudge's answer. */
export interface OriginJudge {
  /** What a kept signature's issuer is looked up in: the trusted keys, and the box's own. */
  keys: PublicKey[];
  /** The keys a version from `origin` may be signed by now. */
  of(origin: string): Promise<OriginKeys>;
  /** The repositories bound to the key `fpr`, sorted. */
  boundTo(fpr: string): string[];
}

/**
 * Builds the judge of origins for one command: the trusted keys, the box's own key and the
 * repositories' configuration are read once.
 */
export async function originJudge(p: ManagerParts): Promise<OriginJudge> {
  const trusted = await p.keyring.keys();
  const local = await p.fetchContext.localKey?.();
  const configured: RepoConfig[] = await p.repos.list();
  const trust = new RepoTrust(p.keyring, p.now);
  const all = trusted.map((k) => k.getFingerprint());
  return {
    keys: local ? [...trusted, local] : trusted,
    async of(origin) {
      // Made on this box (model import): its own key alone, which is never a trusted one.
      if (origin === LOCAL_ORIGIN)
        return { origin, allowed: local ? [local.getFingerprint()] : [], repository: false };
      const repo = configured.find((r) => r.name === origin);
      // A package file, or a repository removed since: the bytes would install as a package file
      // does now, signed by any trusted key (local-package.ts localKeys).
      if (!repo) return { origin, allowed: all, repository: false };
      // A configuration from before keys were bound: the key its first update bound, else refused
      // as an install from it is (repo-key-unbound, with `bpkg repo set-key`).
      const { keys } = await trust.bindingFor(repo, configured);
      return { origin, allowed: keys.map((k) => k.toLowerCase()), repository: true };
    },
    boundTo: (fpr) =>
      configured
        .filter((r) => r.keys?.some((k) => k.toLowerCase() === fpr.toLowerCase()))
        .map((r) => r.name)
        .sort(),
  };
}
