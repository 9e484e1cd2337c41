import { VerificationError } from '../errors.js';
import type { Database, InstalledPackage } from './db.js';
import { fileListPath } from './db.js';
import { showFingerprint } from './fingerprint-text.js';
import { readFileList } from './installed-db.js';
import type { OriginJudge } from './origin-keys.js';
import type { ManagerParts } from './parts.js';
import type { RepoState } from './repos.js';
import { type Candidate, originOf } from './resolve.js';
import { keptSigning } from './signer-revoked.js';
import { versionDir } from './transaction.js';
import { checkFile, type VerifyProblem, type VerifyReport } from './verify-files.js';

/** What the package manager reads of the verified indexes and the installed versions' files. */

/**
 * The hint for a name no index offers on a box with no repository at all (a fresh box), where
 * `bpkg update` would only say there is none: adding one comes first. Undefined otherwise.
 */
export async function noRepositoryHint(p: ManagerParts): Promise<string | undefined> {
  const repos = await p.repos.list();
  if (repos.length === 0)
    return 'No repository is configured: add one with `bpkg repo add NAME URL`, then run `bpkg update`.';
  // Configured, but nothing accepted yet (never updated, or refused: an untrusted key): "run
  // update" alone sent the admin back to the refusal, so its reason is pointed at.
  if ((await p.repos.states()).length === 0)
    return `No repository has a verified index yet (${repos.map((r) => r.name).join(', ')}): run \`bpkg update\` to fetch it; a refused update says why (often a key not trusted: \`bpkg key add FILE --fingerprint FPR\`).`;
  return undefined;
}

/** Verified indexes usable now; an expired one is refused for installs (freeze attack). */
export async function usableStates(p: ManagerParts, forInstall: boolean): Promise<RepoState[]> {
  const states = await p.repos.states();
  const usable: RepoState[] = [];
  for (const s of states) {
    const problem = p.repos.stateProblem(s);
    if (problem) {
      p.hookOpts.warn(`${problem.message}; not used. ${problem.hint}`);
      continue;
    }
    if (Date.parse(s.index.expires) <= p.now().getTime()) {
      if (forInstall)
        throw new VerificationError(
          `The index of repository ${s.name} expired on ${s.index.expires}`,
          'index-expired',
          'Run `bpkg update`; if it stays expired the repository is stale or frozen.',
        );
      p.hookOpts.warn(`index of ${s.name} expired on ${s.index.expires}; run \`bpkg update\``);
    }
    usable.push(s);
  }
  return usable;
}

export async function candidates(p: ManagerParts, forInstall: boolean): Promise<Candidate[]> {
  return (await usableStates(p, forInstall)).flatMap((s) =>
    s.index.packages.map((entry) => ({ entry, repo: s.name })),
  );
}

/** Where each installed package is upgraded from; absent when unknown (see `originOf`). Pure. */
export function originsOf(db: Database, states: RepoState[]): Map<string, string> {
  const offers = states.flatMap((s) => s.index.packages.map((entry) => ({ entry, repo: s.name })));
  const keys = new Map(states.map((s) => [s.name, s.keys]));
  const out = new Map<string, string>();
  for (const p of Object.values(db.packages)) {
    const o = originOf(p, offers, (r) => keys.get(r) ?? []);
    if (o) out.set(p.name, o);
  }
  return out;
}

export async function verifyVersion(p: ManagerParts, name: string, version: string): Promise<VerifyReport> {
  // A damaged list is this version's problem (its reinstall writes it again), not the command's.
  const list = await readFileList(p.paths, name, version).catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'damaged-file') throw err;
    return null;
  });
  const base = versionDir(p.paths, name, version);
  const problems: VerifyProblem[] = [];
  if (list === null)
    return {
      name,
      version,
      ok: false,
      problems: [{ path: fileListPath(p.paths, name, version), problem: 'damaged' }],
    };
  if (!list) return { name, version, ok: false, problems: [{ path: '(file list)', problem: 'missing' }] };
  for (const f of list.files) problems.push(...(await checkFile(base, f)));
  return { name, version, ok: problems.length === 0, problems };
}

/**
 * What `bpkg verify` says of an installed version's signer: what `bpkg rollback` would judge of it
 * (signer-revoked.ts keptSigning: the key its kept signature names, else installed.json's record,
 * held to the keys of the repository it came from: origin-keys.ts). An older record that does not
 * say which of the key's keys signed it, while one that can sign is revoked: `signer-unrecorded`
 * (rollback refuses it). A key removed from the keyring since: `signer-untrusted`; a trusted key
 * not trusted for its origin: `signer-wrong-repository`. A kept signature that cannot be read: `damaged`.
 */
export async function signingProblems(
  p: ManagerParts,
  origins: OriginJudge,
  e: InstalledPackage,
): Promise<VerifyProblem[]> {
  const list = await readFileList(p.paths, e.name, e.version).catch(() => undefined);
  // A repository not bound to a key while several are trusted (repo-key-unbound): its update and a
  // rollback to it say so; its signer is judged here as before keys were bound, revocation only.
  const scope = await origins.of(e.origin).catch((err: unknown) => {
    if (!(err instanceof VerificationError)) throw err;
    return undefined;
  });
  try {
    const r = await keptSigning(origins.keys, e, list?.signature, `${e.name} ${e.version}`, p.now(), scope);
    if (!r) return [];
    const problem = r.untrusted
      ? 'signer-untrusted'
      : r.notFor
        ? 'signer-wrong-repository'
        : r.unrecorded
          ? 'signer-unrecorded'
          : 'signer-revoked';
    return [{ path: showFingerprint(r.subkey && !r.untrusted && !r.notFor ? r.subkey : r.signer), problem }];
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return [{ path: fileListPath(p.paths, e.name, e.version), problem: 'damaged' }];
  }
}
