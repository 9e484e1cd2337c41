/** `bpkg key add | list | remove`: the publisher keys this box trusts, and what each may sign. */
import { type ListedKey, UsageError } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { showFingerprint } from '../../present/fingerprint.js';
import { shownHint } from '../../present/root-in-hints.js';
import { cliBox } from '../box.js';
import { type CommandSpec, optString } from '../command.js';
import { readNamedFile } from '../named-file.js';

/** Each key: fingerprint (revoked, expiry), user IDs, and the repositories bound to it. */
function keyLines(list: ListedKey[]): string {
  const lines = list.map((k) =>
    [
      `${showFingerprint(k.fingerprint)}${k.revoked ? ' [REVOKED]' : ''}${k.expires ? ` (expires ${k.expires})` : ''}`,
      `  ${k.userIds.map(escapeLine).join(', ')}`,
      `  repositories: ${k.repositories.length ? k.repositories.map(escapeLine).join(', ') : 'none'}`,
    ].join('\n'),
  );
  if (list.some((k) => k.repositories.length === 0))
    lines.push(
      shownHint(
        'A key with no repositories signs nothing here: bind it with `bpkg repo add NAME URL --key FPR` or `bpkg repo set-key NAME FPR`.',
      ),
    );
  return lines.join('\n');
}

/** More words than `what` takes (`most`): refused, naming them, as every command refuses what it would ignore. */
export function ignoredWords(what: string, takes: string, words: string[], most = 0, hint?: string): void {
  if (words.length <= most) return;
  throw new UsageError(
    `${what} takes ${takes}, not ${words.length}: ${words.map((w) => JSON.stringify(w)).join(' ')}`,
    hint ?? `See \`bpkg ${what.split(' ')[0]} --help\`.`,
  );
}

export const key: CommandSpec = {
  name: 'key',
  summary: 'Manage trusted publisher keys: key add FILE [--fingerprint FPR] | key list | key remove FPR',
  args: 'add FILE | list | remove FINGERPRINT',
  options: {
    fingerprint: {
      type: 'string',
      value: 'FPR',
      description: 'Pin: add only if the key has this fingerprint (no prompt)',
    },
  },
  details: `A trusted key signs only the repositories bound to it (\`bpkg repo add NAME URL --key FPR\`,
\`bpkg repo set-key NAME FPR\`), never another's. \`key list\` shows each key's fingerprint, user IDs
and those repositories (--json: repositories). \`key remove\` takes the full fingerprint, or its last
16 digits or more (shorter ids are easy to forge a match for), and names the key it removed.

Examples:
  bpkg key add publisher.asc --fingerprint 0123…CDEF
  bpkg key list
  bpkg key remove 0123…CDEF`,
  async run(ctx, parsed) {
    const [action, arg] = parsed.positionals;
    // Words it would ignore are refused, before anything changes (`key remove A B` removed A only).
    if (!action || action === 'list') ignoredWords('key list', 'no arguments', parsed.positionals.slice(1));
    if (action === 'add')
      ignoredWords('key add', 'one FILE', parsed.positionals.slice(1), 1, 'Add one key a command.');
    if (action === 'remove')
      ignoredWords(
        'key remove',
        'one FINGERPRINT',
        parsed.positionals.slice(1),
        1,
        'Quote a fingerprint written with spaces ("0123 4567 …"), and remove one key a command.',
      );
    const keys = cliBox(ctx).keys;
    if (action === 'add' && arg) {
      const armored = await readNamedFile(
        arg,
        "Give the path of the publisher's armored public key (.asc), or - to read it from standard input.",
      );
      const pin = optString(parsed, 'fingerprint');
      if (!pin) {
        const k = await keys.inspect(armored);
        ctx.info(
          `Key ${showFingerprint(k.fingerprint)}\n  ${k.userIds.map(escapeLine).join('\n  ')}\n  created ${k.created}${k.expires ? `, expires ${k.expires}` : ''}`,
        );
      }
      const k = await keys.trust(armored, pin ? { fingerprint: pin } : {});
      // Its public part is what is trusted; the key that signs for this box was copied onto it.
      if (armored.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----'))
        ctx.warn(
          `${arg === '-' ? 'Standard input' : arg} is a private key: only its public part is trusted. The private key can sign packages this box installs: keep it off the box${arg === '-' ? '' : ` (delete ${arg} here if it is a copy)`}, and give the public key (gpg --export --armor FINGERPRINT) next time.`,
        );
      return ctx.report(
        k,
        `trusted ${showFingerprint(k.fingerprint)} (${k.userIds.map(escapeLine).join(', ')})`,
      );
    }
    if (action === 'remove' && arg) {
      // The repositories bound to it that no other trusted key signs are refused from now on: said.
      const before = await keys.list();
      const removed = await keys.remove(arg);
      const bound = before.find((k) => k.fingerprint.toLowerCase() === removed.toLowerCase());
      const left = await keys.list();
      for (const repo of bound?.repositories ?? [])
        if (!left.some((k) => k.repositories.includes(repo)))
          ctx.warn(
            shownHint(
              `no trusted key signs repository ${escapeLine(repo)} now: its index and packages are refused. Trust its new key (\`bpkg key add FILE --fingerprint FPR\`, then \`bpkg repo set-key ${escapeLine(repo)} FPR\`), or \`bpkg repo remove ${escapeLine(repo)}\`.`,
            ),
          );
      return ctx.report({ removed }, `no longer trusting ${showFingerprint(removed)}`);
    }
    if (action === 'list' || !action) {
      const list = await keys.list();
      return ctx.result(
        list,
        list.length
          ? keyLines(list)
          : shownHint('No trusted keys. Trust a publisher: `bpkg key add FILE.asc --fingerprint FPR`'),
      );
    }
    throw new UsageError('Usage: key add FILE [--fingerprint FPR] | key list | key remove FINGERPRINT');
  },
};
