/**
 * A repository added with its own signing key in one step (the dashboard's "Add a repository…"):
 * `bpkg key add FILE --fingerprint FPR`, `bpkg repo add NAME URL --key FPR` and its first `bpkg
 * update`, with the checks of each and a few more a browser needs (the key pasted, not a file the
 * admin chose at a shell): a private key, a revoked or expired key, one bound to another
 * repository, a name taken are refused before anything is written. A first update that fails
 * (the index not signed by that key, say) keeps neither the repository nor the key it trusted.
 */
import { BlueprintError, ConflictError, UsageError, VerificationError } from '../core/errors.js';
import { showFingerprint } from '../core/pkg/fingerprint-text.js';
import type { TrustedKey, UpdateOutcome } from '../core/pkg/index.js';
import { LocalKey } from '../core/pkg/local-key.js';
import { checkRepoNames, normalizeRepoUrl } from '../core/pkg/repo-config.js';
import { ensureDir } from '../core/system/fs.js';
import { hasControl } from '../core/system/text.js';
import type { BoxContext } from './context.js';
import type { AddedRepo, KeyOps, RepoOps } from './repos.js';

/** The most text a pasted key block may have: a signing key with its signatures is a few KiB. */
export const MAX_KEY_BLOCK = 32 * 1024;
/** The most characters of a repository's URL. */
export const MAX_REPO_URL = 2048;

export interface NewRepo {
  name: string;
  url: string;
  /** The repository's signing key, an armoured public key block. */
  armored: string;
  /** Other URLs serving the same repository (`--mirror`). */
  mirrors?: string[];
  /** The name its index must carry (`--repository`); without it, pinned at the first update. */
  repository?: string;
}

/** The most mirrors a form may give. */
export const MAX_MIRRORS = 16;

/** What the admin confirms: the key, and the URL as it will be configured. */
export interface NewRepoChecked {
  name: string;
  url: string;
  mirrors: string[];
  repository?: string;
  /** Its user IDs are the ones it certified itself; how many others its file carried: `uncertified`. */
  key: TrustedKey & { uncertified?: number };
}

/** A URL as `repo add` takes it, checked for what a form could carry in (spaces, control bytes, length). */
function checkedUrl(url: string): string {
  if (url.length > MAX_REPO_URL || /\s/.test(url) || hasControl(url))
    throw new UsageError(
      `Bad repository URL ${url.slice(0, 200)}`,
      `A URL on one line, with no spaces, of ${MAX_REPO_URL} characters at most.`,
    );
  return normalizeRepoUrl(url);
}

/** The codes of an index not fetched at all (the repository or the network down): nothing was refused. */
const NOT_REACHED = new Set(['network', 'mirror-timeout']);

const PRIVATE = /-----BEGIN PGP (PRIVATE|SECRET) KEY BLOCK-----/;

/** Refuses what `repo add` and `key add` would, and what only a pasted key needs; writes nothing. */
export async function checkNewRepo(ctx: BoxContext, keys: KeyOps, ask: NewRepo): Promise<NewRepoChecked> {
  const name = ask.name.trim();
  const url = ask.url.trim();
  const repository = ask.repository === undefined || ask.repository === '' ? undefined : ask.repository;
  checkRepoNames(name, repository);
  if (!url)
    throw new UsageError(
      "Give the repository's URL",
      'A folder (path or file:///…), an HTTP(S) address, oci://REGISTRY/NAME[:TAG] or s3://BUCKET/PREFIX.',
    );
  const normalized = checkedUrl(url);
  const given = (ask.mirrors ?? []).map((m) => m.trim()).filter(Boolean);
  if (given.length > MAX_MIRRORS)
    throw new UsageError(
      `${given.length} mirrors given; at most ${MAX_MIRRORS}`,
      'Give the mirrors you trust to stay up; more can be added on the box (`bpkg repo add NAME URL --mirror URL`).',
    );
  const mirrors = [...new Set(given.map(checkedUrl))].filter((m) => m !== normalized);
  const m = await ctx.manager();
  const taken = (await m.repos.list()).find((r) => r.name === name);
  if (taken)
    throw new ConflictError(
      `Repository ${name} already exists with URL ${taken.url}`,
      'repo-exists',
      `Choose another name, or remove ${name} first (Remove… on the Keys & repositories page).`,
    );
  if (ask.armored.length > MAX_KEY_BLOCK)
    throw new VerificationError(
      `The key block is larger than ${MAX_KEY_BLOCK / 1024} KiB`,
      'key-too-large',
      "Paste the repository's armoured public key only (gpg --export --armor FINGERPRINT); nothing was added.",
    );
  if (PRIVATE.test(ask.armored))
    throw new UsageError(
      'This is a private key: the repository needs only its public key, and a private key must never leave its publisher',
      'Paste the public key (gpg --export --armor FINGERPRINT). If the private key was copied here or elsewhere, the publisher should think it exposed; nothing was added.',
    );
  // Armour past the first block is not read: a second key pasted would go unseen, never trusted.
  if ((ask.armored.match(/-----BEGIN PGP /g) ?? []).length > 1)
    throw new VerificationError(
      'The text holds more than one key; add them one by one',
      'bad-key',
      "Paste the repository's one signing key (a single -----BEGIN PGP PUBLIC KEY BLOCK----- block); nothing was added.",
    );
  const key = await keys.inspect(ask.armored);
  if (key.revoked)
    throw new VerificationError(
      `Key ${showFingerprint(key.fingerprint)} is revoked: it vouches for nothing`,
      'key-revoked',
      "Ask the repository's publisher for its current key; nothing was added.",
    );
  if (key.expires && Date.parse(key.expires) <= Date.now())
    throw new VerificationError(
      `Key ${showFingerprint(key.fingerprint)} expired on ${key.expires}`,
      'key-expired',
      "An expired key signs nothing that is accepted: ask the publisher for the key's renewed copy; nothing was added.",
    );
  // Refused by `bpkg key add` too (keyring.add), in its words; said here, before it is asked.
  if (key.fingerprint === (await new LocalKey(m.paths).fingerprint()))
    throw new VerificationError(
      `Key ${showFingerprint(key.fingerprint)} is this box's own key for local packages (blueprint model import)`,
      'local-key',
      'It signs packages made on this box only and is never trusted for a repository; nothing was added.',
    );
  const bound = (await keys.list()).find((k) => k.fingerprint === key.fingerprint)?.repositories ?? [];
  if (bound.length)
    throw new ConflictError(
      `Key ${showFingerprint(key.fingerprint)} is already trusted for repository ${bound.join(', ')}`,
      'key-bound-elsewhere',
      `A key signs only the repositories bound to it. If the same publisher signs ${name} too, bind it on the box: \`bpkg repo add ${name} URL --key ${showFingerprint(key.fingerprint)}\`; nothing was added.`,
    );
  // Counted, never passed on by name: what the trust question says of them (KEYS5).
  const uncertified = key.uncertifiedUserIds?.length ?? 0;
  const { uncertifiedUserIds: _names, ...shown } = key;
  return {
    name,
    url: normalized,
    mirrors,
    ...(repository !== undefined ? { repository } : {}),
    key: { ...shown, ...(uncertified ? { uncertified } : {}) },
  };
}

/** What was done: the key (and whether it was new here), and the first update's outcome. */
export interface RepoAdded {
  key: TrustedKey;
  outcome: UpdateOutcome;
}

/** Whether a failed first update reached no URL at all (an outage, not a refusal of what was served). */
function notReached(err: unknown): boolean {
  if (err instanceof FirstUpdateError)
    return (err.outcome.errors ?? [err.outcome.error]).every((e) => !!e && NOT_REACHED.has(e.code));
  return err instanceof BlueprintError && !(err instanceof VerificationError) && NOT_REACHED.has(err.code);
}

/** Raised by a failed first update: its outcome, with what was undone said in the message. */
export class FirstUpdateError extends VerificationError {
  constructor(
    readonly outcome: UpdateOutcome,
    message: string,
    hint: string,
  ) {
    super(message, 'first-update-failed', hint);
  }
}

/**
 * Checks again (a page shown a while ago), trusts the key pinned to `fingerprint` (the one shown),
 * adds the repository bound to it alone, and runs its first update. `onTrusted` is told each step.
 * A failed update removes the repository and, if it was new here, the key: FirstUpdateError.
 */
export async function addRepoWithKey(
  ctx: BoxContext,
  keys: KeyOps,
  repos: RepoOps,
  ask: NewRepo & { fingerprint: string },
  step: (done: { trusted?: TrustedKey; added?: AddedRepo }) => void,
  signal?: AbortSignal,
): Promise<RepoAdded> {
  const checked = await checkNewRepo(ctx, keys, ask);
  const wasTrusted = (await keys.list()).some((k) => k.fingerprint === checked.key.fingerprint);
  const key = await keys.trust(ask.armored, { fingerprint: ask.fingerprint });
  step({ trusted: key });
  let added = false;
  try {
    const r = await repos.add(checked.name, checked.url, {
      keys: [key.fingerprint],
      ...(checked.mirrors.length ? { mirrors: checked.mirrors } : {}),
      ...(checked.repository !== undefined ? { repository: checked.repository } : {}),
    });
    added = true;
    step({ added: r });
    const m = await ctx.manager();
    await ensureDir(m.paths.listsDir).catch(() => {});
    const config = (await m.repos.list()).find((x) => x.name === r.name)!;
    const outcome = await m.repos.updateOne(config, signal);
    if (!outcome.ok) throw new FirstUpdateError(outcome, '', '');
    return { key, outcome };
  } catch (err) {
    // No URL reached (the repository or the network down): kept, as `bpkg repo add` keeps it when
    // the `bpkg update` after it fails; the next update tries again. An index fetched and refused
    // (another key's, another published name, damaged) keeps nothing: the key shown does not sign it.
    if (added && notReached(err)) {
      const kept = `Repository ${checked.name} and key ${showFingerprint(key.fingerprint)} are kept, as \`bpkg repo add\` keeps them when the \`bpkg update\` after it fails.`;
      const hint = `The next update fetches its index (Update on the Packages page, or \`bpkg update\`); if its URL is wrong, remove it (Remove… on the Keys & repositories page) and add it again.`;
      if (err instanceof FirstUpdateError) throw new FirstUpdateError(err.outcome, kept, hint);
      if (err instanceof BlueprintError) throw new BlueprintError(`${err.message}\n${kept}`, err.code, hint);
    }
    if (added) await repos.remove(checked.name).catch(() => {});
    if (!wasTrusted) await keys.remove(key.fingerprint).catch(() => {});
    const kept = wasTrusted
      ? `key ${showFingerprint(key.fingerprint)} stays trusted, as it was before`
      : `key ${showFingerprint(key.fingerprint)} is not trusted`;
    const undone = `Nothing was kept: repository ${checked.name} was ${added ? 'removed' : 'not added'} and ${kept}.`;
    if (err instanceof FirstUpdateError)
      throw new FirstUpdateError(
        err.outcome,
        undone,
        'Check the URL and the key with the publisher, then add it again.',
      );
    if (err instanceof Error) err.message = `${err.message}\n${undone}`;
    throw err;
  }
}
