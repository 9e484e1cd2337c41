/** setup's errors about its answers as the flags that gave them (`--key: …`), not as file fields. */
import { BlueprintError, UsageError } from '../../app/index.js';
import { namedField } from '../../present/setup.js';

/** The flag of each answers field (`admin.keys.0` is --key), for errors about flags. */
const FLAG_OF: [RegExp, string][] = [
  [/^hostname$/, '--hostname'],
  [/^timezone$/, '--timezone'],
  [/^admin\.keys(\.\d+)?$/, '--key'],
  [/^admin\.passwordHash$/, '--password-hash'],
  [/^admin(\.name)?$/, '--admin'],
  [/^ssh(\..+)?$/, '--ssh'],
  [/^dashboard(\..+)?$/, '--dashboard'],
  [/^repository(\.url)?$/, '--repo-url'],
  [/^repository\.key$/, '--repo-key'],
  [/^repository\.fingerprint$/, '--repo-fingerprint'],
  [/^modules(\.\d+(\.name)?)?$/, '--module'],
];

/** Hints of the repository key's errors that speak of the answers file, as flags say them. */
const FLAG_HINT: Record<string, string> = {
  '--repo-key': 'Give the path of the armored public key with --repo-key.',
  '--repo-fingerprint':
    'Compare it with the one the repository publisher gave you, then give it with --repo-fingerprint.',
};

/** The answers' error, as the flags that made the answers: each field named by its flag. */
export function byFlag(err: UsageError): UsageError {
  const head = 'Invalid setup flags: ';
  // One field's own error (the repository's key file, its fingerprint): `repository.key: ...`.
  const field = /^(repository\.\w+): /.exec(err.message);
  const one = field && FLAG_OF.find(([re]) => re.test(field[1]!))?.[1];
  if (one) return new UsageError(`${one}${err.message.slice(field[1]!.length)}`, FLAG_HINT[one] ?? err.hint);
  // The plan's refusal of fields (`modules.0.name: "x" is not …`): each named by its flag.
  if (!err.message.startsWith(head)) {
    const issues = err.message.split('; ').map((issue) => namedField(issue, FLAG_OF));
    return issues.every(Boolean) ? new UsageError(issues.join('; '), err.hint) : err;
  }
  const named = err.message
    .slice(head.length)
    .split('; ')
    .map((issue) => namedField(issue, FLAG_OF) ?? issue);
  return new UsageError(
    `${head}${named.join('; ')}`,
    `Fix ${flagsNamed(named)}; \`blueprint setup --help\` lists the flags.`,
  );
}

/** The flags (or fields) the issues open with, `--key and --hostname`: the hint names them itself. */
function flagsNamed(issues: string[]): string {
  // An issue's own text may hold '; ' (split there too): only a leading name counts.
  const names = [...new Set(issues.flatMap((i) => /^([^\s:]+):/.exec(i)?.[1] ?? []))];
  if (!names.length) return 'the flags';
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]!;
}

/**
 * A refusal that is no usage error but opens with answers fields (`repository.key: Key … certified
 * none of its user IDs`, `modules.0.name: "x" cannot be checked: the index of repository main could
 * not be fetched: …`): the same, each field named by its flag. Its code, hint and exit code stay.
 */
export function failureByFlag(err: BlueprintError): BlueprintError {
  // One field's own refusal (a repository key that is no OpenPGP key, or certified none of its
  // user IDs; a pin that does not match): `repository.key: ...` said as its flag.
  const field = /^(repository\.\w+): /.exec(err.message);
  const one = field && FLAG_OF.find(([re]) => re.test(field[1]!))?.[1];
  if (one)
    return new BlueprintError(
      `${one}${err.message.slice(field[1]!.length)}`,
      err.code,
      err.hint,
      err.exitCode,
      {
        cause: err,
      },
    );
  const head = /^((?:[a-z][\w.]*: "[^"]*"(?:, |(?= )))+)/.exec(err.message)?.[1];
  if (!head) return err;
  const fields = head.split(', ').map((f) => namedField(f, FLAG_OF));
  if (!fields.every(Boolean)) return err;
  const named = `${fields.join(', ')}${err.message.slice(head.length)}`;
  return new BlueprintError(named, err.code, err.hint, err.exitCode, { cause: err });
}
