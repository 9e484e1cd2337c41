import { shellWord } from '../core/system/shell-word.js';
import { showFingerprint, showFingerprints } from './fingerprint.js';
import { packageCount } from './package-count.js';
import { shownHint } from './root-in-hints.js';
import { userIdsInline } from './user-ids.js';

type Config = { name: string; url: string; keys?: string[]; mirrors?: string[]; repository?: string };

const signedBy = (keys?: string[]) => (keys?.length ? showFingerprints(keys) : 'no key bound');

/**
 * What `bpkg repo add` did, said as it was: a new repository; one already configured as given
 * (nothing written, nothing to run); or one whose keys, mirrors or pinned name changed, with what
 * they were, since the same command that adds a repository also rebinds its keys.
 */
export function repoAddedText(
  r: (Config & { status: 'added' | 'unchanged' }) | (Config & { status: 'changed'; previous: Config }),
): string {
  if (r.status !== 'changed') {
    const signed = r.keys?.length ? `, signed by ${signedBy(r.keys)}` : '';
    return r.status === 'unchanged'
      ? `repository ${r.name} is already configured (${r.url}${signed}): nothing changed`
      : `added repository ${r.name} (${r.url})${signed}; run \`bpkg update\``;
  }
  const p = r.previous;
  const changes = [
    ...(signedBy(p.keys) !== signedBy(r.keys)
      ? [`is now signed by ${signedBy(r.keys)} (was ${signedBy(p.keys)})`]
      : []),
    ...((p.mirrors ?? []).join(' ') !== (r.mirrors ?? []).join(' ')
      ? [`has mirrors ${r.mirrors?.join(' ') || 'none'} (was ${p.mirrors?.join(' ') || 'none'})`]
      : []),
    ...(p.repository !== r.repository
      ? [
          `must carry the name ${r.repository} in its index (was ${p.repository ?? 'the name in its first index'})`,
        ]
      : []),
  ];
  return `repository ${r.name} ${changes.join('; ') || 'was configured again'}; run \`bpkg update\``;
}

/**
 * A name `bpkg repo add` takes (lower-case letters, digits, . _ -), from the name a built index
 * carries ('My Repo' -> my-repo): the name a box gives a repository is its own, any will do.
 */
function localName(published: string): string {
  const n = published
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return n && n !== 'local' && n !== 'file' ? n : 'myrepo';
}

/**
 * What `blueprint repo build` says when done: the folder is the repository, ready to serve as it is,
 * and the commands a box adds it with (the key, the repository, the update).
 */
export function builtRepoText(b: {
  repository: string;
  version: number;
  packages: number;
  dir: string;
  url: string;
  fingerprint?: string;
  publicKeyFile?: string;
}): string {
  const fpr = b.fingerprint ? showFingerprint(b.fingerprint) : 'FPR';
  return [
    `repository ${b.repository} v${b.version}: ${packageCount(b.packages)}, ready in ${b.dir}`,
    `Serve that folder as it is: copy it to a web server or a USB stick, or upload it (\`blueprint repo publish ${shellWord(b.dir)} --to oci://…|s3://…\`). A box adds it with (the URL where it is served, or file:/// where the stick is mounted):`,
    `  bpkg key add ${b.publicKeyFile ? shellWord(b.publicKeyFile) : 'PUBLIC-KEY.asc'} --fingerprint ${fpr}`,
    `  bpkg repo add ${localName(b.repository)} ${shellWord(b.url)} --key ${fpr}`,
    '  bpkg update',
  ].join('\n');
}

/**
 * `bpkg repo remove NAME` of a repository not configured (removed already, by another admin or a
 * playbook meanwhile): nothing to do, as `bpkg remove` of a package not installed. The dashboard's
 * Remove repository says the same.
 */
export const repoNotThereText = (name: string): string => `repository ${name} is not there, nothing to do`;

/**
 * What `bpkg repo remove NAME` says of the packages installed from it (`from`): they stay, and are
 * not upgraded from then on. Undefined when none came from it.
 */
export function repoRemovedWarning(name: string, from: string[]): string | undefined {
  if (!from.length) return undefined;
  return shownHint(
    `${from.join(', ')} (installed from ${name}) ${from.length === 1 ? 'stays installed but is' : 'stay installed but are'} not upgraded until a repository named ${name} is added again (\`bpkg repo add ${name} URL\`), or \`bpkg install NAME --from REPO\` takes ${from.length === 1 ? 'it' : 'one'} from another.`,
  );
}

/**
 * What a key-trust question says of the user IDs a key did not certify itself (left out of those
 * shown): how many, never which, so that a name an attacker attached does not sit beside the
 * fingerprint the admin compares.
 */
export function uncertifiedUserIdsNote(count: number): string {
  return `${count} other user ID${count === 1 ? ' is' : 's are'} not shown: the key did not certify ${count === 1 ? 'it' : 'them'}, and anyone can attach one to a key`;
}

/** What `bpkg key add` says of a key it trusted (its user ids made safe for a terminal or a page). */
export function keyTrustedText(k: { fingerprint: string; userIds: string[] }): string {
  return `trusted ${showFingerprint(k.fingerprint)} (${userIdsInline(k.userIds)})`;
}
