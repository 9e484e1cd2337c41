/** `bpkg key add | list | remove` (a group): the publisher keys this box trusts, and what each may sign. */
import { type KeyOps, type ListedKey, UsageError } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { keyTrustedText, uncertifiedUserIdsNote } from '../../present/repos.js';
import { shownHint } from '../../present/root-in-hints.js';
import { cutUserId, SHOWN_USER_IDS, userIdLines, userIdsInline } from '../../present/user-ids.js';
import { cliBox } from '../box.js';
import { type CommandGroup, type CommandSpec, optString } from '../command.js';
import { readNamedFile } from '../named-file.js';

/** Each key: fingerprint (revoked, expiry), user IDs, and the repositories bound to it. */
function keyLines(list: ListedKey[]): string {
  const lines = list.map((k) =>
    [
      `${showFingerprint(k.fingerprint)}${k.revoked ? ' [REVOKED]' : ''}${k.expires ? ` (expires ${k.expires})` : ''}`,
      `  ${userIdsInline(k.userIds)}`,
      `  repositories: ${k.repositories.length ? k.repositories.map(escapeLine).join(', ') : 'none'}`,
    ].join('\n'),
  );
  if (list.some((k) => k.repositories.length === 0))
    lines.push(
      shownHint(
        'A key bound to no repository signs package files only (`bpkg install ./NAME.bpkg`; at `bpkg rollback`, a version of a repository removed since), as any trusted key may: bind it to a repository with `bpkg repo add NAME URL --key FPR` or `bpkg repo set-key NAME FPR`.',
      ),
    );
  return lines.join('\n');
}

/**
 * What any trusted key signs, bound or not: a package file (local-package.ts localKeys), and at
 * rollback a version of a repository removed since (origin-keys.ts), as an install of it would be.
 */
const FILES =
  'A package file (`bpkg install ./NAME.bpkg`), and a version `bpkg rollback` makes current from a repository removed since, may be signed by any trusted key.';

/** Where a key's repositories are bound, said in each of its commands' help. */
const SCOPE = `A trusted key signs a repository's index and packages only for the repositories bound to it
(\`bpkg repo add NAME URL --key FPR\`, \`bpkg repo set-key NAME FPR\`), never another's.
${FILES}`;

const add: CommandSpec = {
  name: 'add',
  summary:
    "Trust a publisher's key (an armored .asc file, or - for standard input), or revoke one with its revocation certificate",
  args: 'FILE',
  options: {
    fingerprint: {
      type: 'string',
      value: 'FPR',
      description: 'Pin: add only if the key has this fingerprint (no prompt)',
    },
  },
  details: `${SCOPE}
Without --fingerprint the key's fingerprint and the user IDs it certified itself are shown first, and
you are asked; another user ID (anyone can attach one to a key) is left out, shown and kept nowhere.
A newer copy of a key trusted already (a new subkey, a revocation, a new expiry) is merged without
asking, as gpg --import merges one: its fingerprint was confirmed when it was first trusted. Its new
subkeys are named; one the key itself did not certify is left out.

Examples:
  bpkg key add publisher.asc --fingerprint 0123…CDEF
  gpg --export --armor 0123…CDEF | bpkg key add - --fingerprint 0123…CDEF
  bpkg key add revocation.asc    # a trusted key's revocation certificate: nothing it signs is accepted
  bpkg key add revoked.asc       # a revoked public key (or key and certificate in one file): kept revoked, trusted or not`,
  async run(ctx, parsed) {
    const [file] = parsed.positionals;
    if (!file)
      throw new UsageError(
        "Missing FILE: the publisher's armored public key (.asc), or - for standard input",
      );
    const keys = cliBox(ctx).keys;
    const armored = await readNamedFile(
      file,
      "Give the path of the publisher's armored public key (.asc), or - to read it from standard input.",
    );
    const pin = optString(parsed, 'fingerprint');
    if (!pin) {
      // Only the user IDs the key certified: anyone can append another (a "Debian Archive Key").
      const k = await keys.inspect(armored);
      const others = k.uncertifiedUserIds?.length ?? 0;
      ctx.info(
        [
          `Key ${showFingerprint(k.fingerprint)}`,
          // Bounded (user-ids.ts): the block and its question fit a 24-row screen.
          ...userIdLines(k.userIds),
          ...(others ? [`  (${uncertifiedUserIdsNote(others)})`] : []),
          `  created ${k.created}${k.expires ? `, expires ${k.expires}` : ''}`,
        ].join('\n'),
      );
    }
    // What the box had of it, so that a run that adds nothing says so (Ansible's ok, not changed).
    const before = await keys.list();
    const k = await keys.trust(armored, pin ? { fingerprint: pin } : {});
    const had = before.find((b) => b.fingerprint === k.fingerprint);
    // A copy of a trusted key: what it changed, subkey by subkey (the new ones its key certified).
    const merged = [
      ...(k.newSubkeys ?? []).map((f) => `new subkey ${showFingerprint(f)}, certified by the key`),
      ...(k.revokedSubkeys ?? []).map((f) => `subkey ${showFingerprint(f)} revoked`),
    ];
    for (const f of k.uncertifiedSubkeys ?? [])
      ctx.warn(
        `${file === '-' ? 'Standard input' : file} holds subkey ${showFingerprint(f)}, which key ${showFingerprint(k.fingerprint)} did not certify (no binding signature of it verifies): left out, it signs nothing here. Get the key from its publisher again.`,
      );
    // Grafted IDs (anyone can append one): a warning each for the first few, each cut, then a count.
    const grafted = k.uncertifiedUserIds ?? [];
    for (const id of grafted.slice(0, SHOWN_USER_IDS))
      ctx.warn(
        `${file === '-' ? 'Standard input' : file} holds user ID "${cutUserId(id)}", which key ${showFingerprint(k.fingerprint)} did not certify: left out. Get the key from its publisher again.`,
      );
    if (grafted.length > SHOWN_USER_IDS)
      ctx.warn(
        `${file === '-' ? 'Standard input' : file} holds ${grafted.length - SHOWN_USER_IDS} more user IDs which key ${showFingerprint(k.fingerprint)} did not certify: left out too.`,
      );
    const changed =
      !had ||
      merged.length > 0 ||
      had.revoked !== k.revoked ||
      had.expires !== k.expires ||
      `${had.userIds}` !== `${k.userIds}`;
    // Its public part is what is trusted; the key that signs for this box was copied onto it.
    if (armored.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----'))
      ctx.warn(
        `${file === '-' ? 'Standard input' : file} is a private key: only its public part is trusted. The private key can sign packages this box installs: keep it off the box${file === '-' ? '' : ` (delete ${file} here if it is a copy)`}, and give the public key (gpg --export --armor FINGERPRINT) next time.`,
      );
    const said = k.revoked
      ? `revoked ${showFingerprint(k.fingerprint)} (${userIdsInline(k.userIds)}): nothing it signs is accepted any more`
      : had && changed
        ? `updated ${keyTrustedText(k).replace(/^trusted /, '')}${merged.length ? `: ${merged.join('; ')}` : ''}`
        : keyTrustedText(k);
    return ctx.report(
      { ...k, changed },
      `${changed ? '' : 'already '}${said}${had || k.revoked ? '' : await signsText(keys, k.fingerprint)}`,
    );
  },
};

/** What a key trusted just now signs: the repositories bound to it (kept from before), and files. */
async function signsText(keys: KeyOps, fingerprint: string): Promise<string> {
  const bound = (await keys.list()).find((k) => k.fingerprint === fingerprint)?.repositories ?? [];
  return `\n${shownHint(
    bound.length
      ? `It signs repository ${bound.map(escapeLine).join(', ')}, and package files (\`bpkg install ./NAME.bpkg\`).`
      : `It signs package files (\`bpkg install ./NAME.bpkg\`), and no repository until one is bound to it: \`bpkg repo add NAME URL --key ${showFingerprint(fingerprint)}\` or \`bpkg repo set-key NAME ${showFingerprint(fingerprint)}\`.`,
  )}`;
}

const list: CommandSpec = {
  name: 'list',
  summary: 'Show the trusted keys: fingerprint, user IDs and the repositories each signs',
  details: `${SCOPE} --json: each key with its repositories.`,
  async run(ctx) {
    const found = await cliBox(ctx).keys.list();
    return ctx.result(
      found,
      found.length
        ? keyLines(found)
        : shownHint('No trusted keys. Trust a publisher: `bpkg key add FILE.asc --fingerprint FPR`'),
    );
  },
};

const remove: CommandSpec = {
  name: 'remove',
  summary: 'Stop trusting a key (its full fingerprint, or the last 16 digits or more)',
  args: 'FINGERPRINT',
  details: `Takes the full fingerprint, or its last 16 digits or more (shorter ids are easy to forge a match
for), and names the key it removed; quote a fingerprint written with spaces ("0123 4567 …"). One key
a command. The repositories bound to it that no other trusted key signs are refused from then on: said.
A full fingerprint of a key not trusted is "not trusted, nothing to do", exit 0, as \`bpkg remove\` of a
package not installed (a shorter id that matches no key: exit 3). --json: {removed: FPR, changed: true},
or {removed: null, notTrusted: FPR, changed: false}.

Example:
  bpkg key remove 0123…CDEF`,
  async run(ctx, parsed) {
    const [fingerprint] = parsed.positionals;
    if (!fingerprint) throw new UsageError('Missing FINGERPRINT: the key to stop trusting (`bpkg key list`)');
    const keys = cliBox(ctx).keys;
    // The repositories bound to it that no other trusted key signs are refused from now on: said.
    const before = await keys.list();
    // A whole fingerprint not trusted: removed already (apt's, Ansible's state: absent), exit 0.
    // A shorter id that matches none stays not found: which key was meant cannot be told.
    const whole = fingerprint.replace(/\s+/g, '').toUpperCase();
    if (
      /^([0-9A-F]{40}|[0-9A-F]{64})$/.test(whole) &&
      !before.some((k) => k.fingerprint.toUpperCase() === whole)
    )
      return ctx.report(
        { removed: null, notTrusted: whole, changed: false },
        `key ${showFingerprint(whole)} is not trusted, nothing to do`,
      );
    const removed = await keys.remove(fingerprint);
    const bound = before.find((k) => k.fingerprint.toLowerCase() === removed.toLowerCase());
    const left = await keys.list();
    for (const repo of bound?.repositories ?? [])
      if (!left.some((k) => k.repositories.includes(repo)))
        ctx.warn(
          shownHint(
            `no trusted key signs repository ${escapeLine(repo)} now: its index and packages are refused. Trust its new key (\`bpkg key add FILE --fingerprint FPR\`, then \`bpkg repo set-key ${escapeLine(repo)} FPR\`), or \`bpkg repo remove ${escapeLine(repo)}\`.`,
          ),
        );
    return ctx.report({ removed, changed: true }, `no longer trusting ${showFingerprint(removed)}`);
  },
};

export const key: CommandGroup = {
  name: 'key',
  summary: 'Manage trusted publisher keys: key add FILE [--fingerprint FPR] | key list | key remove FPR',
  commands: [add, list, remove],
  bare: 'list',
};
