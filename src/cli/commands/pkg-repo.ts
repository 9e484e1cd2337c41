/** `bpkg repo add | set-key | list | remove` (a group) and `bpkg bundle`: the repositories and a copy of them. */
import path from 'node:path';
import { UsageError } from '../../app/index.js';
import { escapeLine } from '../../present/escape.js';
import { showFingerprint, showFingerprints } from '../../present/fingerprint.js';
import { packageCount } from '../../present/packages.js';
import { repoAddedText, repoNotThereText, repoRemovedWarning } from '../../present/repos.js';
import { shellWord, shownHint } from '../../present/root-in-hints.js';
import { table } from '../../present/table.js';
import { cliBox } from '../box.js';
import { type CommandGroup, type CommandSpec, optString, optStrings } from '../command.js';

export const bundle: CommandSpec = {
  name: 'bundle',
  summary:
    'Write packages with their dependencies, signatures and the signed index to a folder (a USB stick)',
  args: 'NAME...',
  options: { out: { type: 'string', value: 'DIR', description: 'New or empty folder to write (required)' } },
  details:
    'For a box with no network: OUT/REPO holds the publisher-signed index, the packages and their own signatures, and the publisher keys (keys/FPR.pub.asc, one for each key the repository is bound to: after a key rotation, the old and the new).\nOn that box, as it prints them: bpkg key add OUT/REPO/keys/FPR.pub.asc --fingerprint FPR (each key); bpkg repo add REPO OUT/REPO --key FPR (each key); bpkg update; bpkg install NAME.',
  async run(ctx, parsed) {
    const out = optString(parsed, 'out');
    if (!out || parsed.positionals.length === 0) throw new UsageError('Usage: bpkg bundle NAME... --out DIR');
    const r = await cliBox(ctx).packages.bundle(parsed.positionals, out);
    ctx.report(r, bundleText(r, parsed.positionals));
  },
};

/**
 * What a bundle holds, and the commands for the box with no network: every key the repository is
 * bound to (the old and the new after a rotation; the index is signed by one of them), so pasted
 * they work; a key the bundle has no file for (revoked here) is left out.
 */
function bundleText(
  r: {
    out: string;
    repositories: { name: string; dir: string; packages: string[]; keys: string[]; keyFiles: string[] }[];
  },
  names: string[],
): string {
  const lines = r.repositories.map(
    (x) => `${x.dir}: ${x.packages.join(', ')} (keys it is bound to: ${showFingerprints(x.keys)})`,
  );
  lines.push(`On the box with no network (${shellWord(r.out)} as the stick is mounted there):`);
  for (const x of r.repositories) {
    const keys = x.keyFiles;
    for (const k of keys)
      lines.push(
        `  bpkg key add ${shellWord(path.join(x.dir, 'keys', `${k}.pub.asc`))} --fingerprint ${showFingerprint(k)}`,
      );
    lines.push(
      `  bpkg repo add ${shellWord(x.name)} ${shellWord(x.dir)}${keys.map((k) => ` --key ${showFingerprint(k)}`).join('')}`,
    );
  }
  lines.push('  bpkg update', `  bpkg install ${names.map(shellWord).join(' ')}`);
  return lines.join('\n');
}

/** Which key signs a repository, said in each of its commands' help. */
const SCOPE =
  'A repository is signed only by its own keys (trust them first with `bpkg key add`): a key trusted for one repository signs nothing in another.';

const add: CommandSpec = {
  name: 'add',
  summary: 'Add a repository, bound to the trusted keys that sign it',
  args: 'NAME URL',
  options: {
    key: {
      type: 'string',
      multiple: true,
      value: 'FPR',
      description: 'The trusted key that signs this repository (repeat for several)',
    },
    repository: {
      type: 'string',
      value: 'NAME',
      description: 'The name its index must carry (default: the name in its first index)',
    },
    mirror: {
      type: 'string',
      multiple: true,
      value: 'URL',
      description: 'Another URL serving the same repository (repeat for several)',
    },
  },
  details: `URL: a folder (path or file:///…), an HTTP(S) host, oci://REGISTRY/NAME[:TAG] or s3://BUCKET/PREFIX. Run \`bpkg update\` after adding.
Adding a name again with its URL changes only what is given (--key, --mirror, --repository), and nothing when that is as configured; another URL is refused: \`bpkg repo remove\` it first.
Mirrors: every URL is tried at each update and the newest index that verifies wins; a mirror that is down, stale or serving garbage is skipped with a warning.
${SCOPE}
A repository added without --key is bound at its first update if exactly one key is trusted and no other repository is bound to it; otherwise bind it with \`bpkg repo set-key\`.

Example:
  bpkg repo add main https://example.org/blueprint --key 0123…CDEF`,
  async run(ctx, parsed) {
    const [name, url] = parsed.positionals;
    if (!name || !url)
      throw new UsageError('Missing NAME URL: the name to give the repository, and where it is');
    const repository = optString(parsed, 'repository');
    const r = await cliBox(ctx).repos.add(name, url, {
      keys: optStrings(parsed, 'key'),
      mirrors: optStrings(parsed, 'mirror'),
      ...(repository !== undefined ? { repository } : {}),
    });
    // Bound to no key: its first update binds the one trusted key, and is refused with none or several.
    if (!r.keys?.length) {
      const trusted = (await cliBox(ctx).keys.list()).length;
      if (trusted !== 1)
        ctx.warn(
          shownHint(
            trusted === 0
              ? `no key is trusted on this box yet: trust the publisher's key first (\`bpkg key add FILE --fingerprint FPR\`), or the update of ${name} is refused.`
              : `several keys are trusted: name the one that signs ${name} (\`bpkg repo set-key ${name} FPR\`), or its update is refused.`,
          ),
        );
    }
    return ctx.report(r, shownHint(repoAddedText(r)));
  },
};

const setKey: CommandSpec = {
  name: 'set-key',
  summary: 'Bind a repository to the trusted keys that sign it, replacing its binding',
  args: 'NAME FPR...',
  details: `${SCOPE} The keys: full fingerprints of keys already trusted (\`bpkg key list\`).

Example:
  bpkg repo set-key main 0123…CDEF`,
  async run(ctx, parsed) {
    const [name, ...fingerprints] = parsed.positionals;
    if (!name) throw new UsageError('Missing NAME FPR...: the repository, and the keys that sign it');
    if (!fingerprints.length)
      throw new UsageError(
        `repo set-key needs the fingerprint of the key that signs ${name}`,
        `Example: \`bpkg repo set-key ${name} FPR\` (the trusted keys: \`bpkg key list\`)`,
      );
    const r = await cliBox(ctx).repos.setKeys(name, fingerprints);
    return ctx.report(r, `repository ${r.name} is now signed by ${showFingerprints(r.keys!)} only`);
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'Show the repositories: URL and mirrors, index fetched, the keys that sign each',
  async run(ctx) {
    const box = cliBox(ctx);
    const rows = await box.repos.list();
    // A bound key whose revocation was added, or that the box no longer trusts (`key remove`; the
    // binding is kept for when it is trusted again), signs nothing: marked, not 'signed by' as any.
    const trusted = rows.some((r) => r.keys?.length) && !ctx.json ? await box.keys.list() : [];
    const revoked = new Set(trusted.filter((k) => k.revoked).map((k) => k.fingerprint.toLowerCase()));
    const known = new Set(trusted.map((k) => k.fingerprint.toLowerCase()));
    const mark = (k: string) =>
      revoked.has(k.toLowerCase()) ? ' (revoked)' : known.has(k.toLowerCase()) ? '' : ' (not trusted)';
    const signers = (keys: string[]) => keys.map((k) => `${showFingerprint(k)}${mark(k)}`).join(', ');
    return ctx.result(
      rows,
      rows.length
        ? table([
            ['NAME', 'URL', 'INDEX', 'SIGNED BY'],
            ...rows.map((r) => [
              r.name,
              [r.url, ...(r.mirrors ?? [])].join(' '),
              r.version !== undefined ? `v${r.version}, ${packageCount(r.packages ?? 0)}` : 'not fetched',
              r.keys?.length ? signers(r.keys) : 'no key bound',
            ]),
          ])
        : shownHint('No repositories. Add one: `bpkg repo add NAME URL --key FPR`'),
    );
  },
};

const remove: CommandSpec = {
  name: 'remove',
  summary: 'Remove a repository (its packages stay installed, not upgraded)',
  args: 'NAME',
  details: `One repository a command. A repository not configured is noted ("repository NAME is not there,
nothing to do"), exit 0, as \`bpkg remove\` of a package not installed: running it again is harmless.
A name no repository can have is refused (exit 2). --json: {removed: NAME, changed: true}, or
{removed: null, notConfigured: NAME, changed: false}.`,
  async run(ctx, parsed) {
    const [name] = parsed.positionals;
    if (!name) throw new UsageError('Missing NAME: the repository to remove (`bpkg repo list`)');
    if (!(await cliBox(ctx).repos.list()).some((r) => r.name === name)) {
      // As apt's remove and Ansible's state: absent: what is not there is removed already.
      if (!REPO_NAME.test(name))
        throw new UsageError(
          `Bad repository name ${escapeLine(name)}`,
          '`bpkg repo list` shows the repositories configured.',
        );
      return ctx.report({ removed: null, notConfigured: name, changed: false }, repoNotThereText(name));
    }
    const from = (await cliBox(ctx).packages.list()).filter((p) => p.origin === name).map((p) => p.name);
    await cliBox(ctx).repos.remove(name);
    // They stay, and are silently not upgraded from then on: said once, here.
    const warning = repoRemovedWarning(name, from);
    if (warning) ctx.warn(warning);
    return ctx.report({ removed: name, changed: true }, `removed repository ${name}`);
  },
};

/** The names `repo add` gives (repo-config.ts checkRepoNames): another is no repository's. */
const REPO_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const repo: CommandGroup = {
  name: 'repo',
  summary:
    'Manage repositories: repo add NAME URL --key FPR | repo set-key NAME FPR... | repo list | repo remove NAME',
  commands: [add, setKey, list, remove],
  bare: 'list',
};
