import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, VerificationError } from '../errors.js';
import { readBoundedFile } from '../system/read-bounded.js';
import type { RepositorySpec } from './schema.js';

export interface KeyInfo {
  fingerprint: string;
  /** Only those the key certified itself: anyone can attach another (a "Debian Archive Key"). */
  userIds: string[];
  /** How many other user IDs the file carried, left out of `userIds` (never shown: KEYS5). */
  uncertified: number;
  armored: string;
}

/** Reads an OpenPGP public key (armored) and returns what a person checks before trusting it. */
export async function describeKey(armored: string, field = 'key'): Promise<KeyInfo> {
  const openpgp = await import('openpgp');
  let key: Awaited<ReturnType<typeof openpgp.readKey>>;
  try {
    key = await openpgp.readKey({ armoredKey: armored });
  } catch (err) {
    throw new VerificationError(
      `${field}: not an OpenPGP public key (${(err as Error).message})`,
      'bad-key',
      'Export it with `gpg --armor --export FINGERPRINT` or `blueprint repo` and try again.',
    );
  }
  if (key.isPrivate())
    throw new VerificationError(
      `${field}: this is a PRIVATE key; only the public key may be given`,
      'private-key',
      'Export the public part with `gpg --armor --export FINGERPRINT`.',
    );
  // As `bpkg key add` shows a key (key-update.ts): the names the key certified, the others counted.
  const { certifiedUserIds } = await import('../pkg/key-update.js');
  const userIds = await certifiedUserIds(key);
  const uncertified = key.getUserIDs().length - userIds.length;
  return { fingerprint: key.getFingerprint().toUpperCase(), userIds, uncertified, armored };
}

/**
 * A key that certified none of the user IDs its file carries (each one grafted: anyone can attach
 * one): refused as `bpkg key add` refuses it (noCertifiedUserIdsError), with its words; `field`,
 * where given, opens the message. Judged where the key is read (the wizard's step, the answers'
 * check), not when setup applies and has written the rest.
 */
export async function uncertifiedKeyError(
  key: KeyInfo,
  field?: string,
): Promise<VerificationError | undefined> {
  if (key.userIds.length || !key.uncertified) return undefined;
  const e = (await import('../pkg/key-update.js')).noCertifiedUserIdsError(key.fingerprint);
  return field ? new VerificationError(`${field}: ${e.message}`, e.code, e.hint) : e;
}

/** The most an answers file, an apply file or a key file it names may hold. */
export const MAX_SETUP_FILE = 1024 * 1024;

/**
 * A file setup reads by a path it was given (the answers or apply file, a key file that one
 * names): the path's links are followed where they are the admin's (in folders no one but root can
 * change; a link another user put there is `unsafe-link`), but what it names may come from a fleet
 * tool or a USB stick. Read once as an untrusted file: a regular file (not a FIFO, which would
 * hold setup for good, nor a device) of at most MAX_SETUP_FILE bytes.
 */
export async function readSetupFile(
  file: string,
  hint: string,
  field?: string,
  /** What the file is, for the too-large refusal ('description', 'answers file'; a field: key file). */
  what = field ? 'key file' : 'file',
): Promise<string> {
  // Judged by its name before it is opened: opening some devices acts (an open /dev/watchdog
  // closed without its magic word reboots the box), and a FIFO's writer goes on once it is.
  const named = await stat(file).catch(() => undefined);
  const r =
    named && !named.isFile()
      ? ({ ok: false, why: 'not-a-file', stat: named } as const)
      : await readBoundedFile(file, MAX_SETUP_FILE, { followLink: true });
  if (r.ok) return r.bytes.toString('utf8');
  const why =
    r.why === 'open'
      ? r.error.code === 'ENOENT'
        ? 'it does not exist'
        : r.error.code === 'EACCES'
          ? 'permission denied'
          : (r.error.code ?? r.error.message)
      : r.why === 'grew'
        ? 'it changed while it was read'
        : 'not a regular file';
  if (r.why === 'too-large')
    throw new UsageError(
      `${field ? `${field}: ` : ''}${file} is too large: over 1 MiB`,
      `${/^[aeiou]/.test(what) ? 'An' : 'A'} ${what} holds at most 1 MiB (${MAX_SETUP_FILE} bytes): check that ${path.basename(file)} is the ${what}${field || what === 'file' ? '' : '; long texts such as keys go in files beside it (key: a relative path)'}.`,
    );
  throw new UsageError(`${field ? `${field}: cannot read key file` : 'Cannot read'} ${file}: ${why}`, hint);
}

/**
 * The key text of a repository entry: inline armored text, or a file relative to `baseDir`, the
 * folder of `from` (the answers file or the description; absent: flags, the current folder).
 */
export async function loadKeyText(
  key: string,
  baseDir: string,
  field: string,
  from?: string,
): Promise<string> {
  if (key.includes('-----BEGIN PGP')) return key;
  const file = path.resolve(baseDir, key);
  const hint = `Give the path of the armored public key, relative to ${from ?? 'the current folder'}, or paste it inline.`;
  try {
    return await readSetupFile(file, hint, field);
  } catch (err) {
    // A relative path is read beside the description as named, as Ansible reads one in a symlinked
    // file: the key is the one next to the path the admin gave. Through a link, both are named.
    const real = from && !path.isAbsolute(key) ? await realpath(from).catch(() => undefined) : undefined;
    if (!real || path.dirname(real) === path.resolve(baseDir) || (await lstat(file).catch(() => false)))
      throw err;
    const there = path.resolve(path.dirname(real), key);
    const where = (await lstat(there).catch(() => false))
      ? ` (it is at ${there}, beside the file linked to)`
      : '';
    throw new UsageError(
      `${field}: cannot read key file ${file}: it does not exist (looked up beside ${from}, a link to ${real})`,
      `A relative key: path is read beside the file as named, not the file a link points to: put the key in ${path.dirname(file)}, or give its absolute path${where}, or paste it inline.`,
    );
  }
}

export interface ResolvedRepository {
  name: string;
  url: string;
  /** Other URLs serving it (`repo add --mirror`); absent: none. */
  mirrors?: string[];
  key: KeyInfo;
}

/**
 * Loads each repository's key and checks it against the pinned fingerprint. In scripted mode the
 * pin is required: a key is never trusted on first use without a person having compared it.
 */
export async function resolveRepositories(
  repos: RepositorySpec[],
  baseDir: string,
  field: (i: number) => string,
  from?: string,
): Promise<ResolvedRepository[]> {
  const out: ResolvedRepository[] = [];
  for (const [i, r] of repos.entries()) {
    const key = await describeKey(
      await loadKeyText(r.key, baseDir, `${field(i)}.key`, from),
      `${field(i)}.key`,
    );
    // Before its pin is asked for or compared: no pin makes such a key one to trust.
    const refused = await uncertifiedKeyError(key, `${field(i)}.key`);
    if (refused) throw refused;
    if (!r.fingerprint)
      throw new UsageError(
        `${field(i)}.fingerprint: required; this key's fingerprint is ${key.fingerprint}`,
        'Compare it with the one the repository publisher gave you, then add it to the file.',
      );
    if (r.fingerprint !== key.fingerprint)
      throw new VerificationError(
        `${field(i)}.fingerprint: the key's fingerprint is ${key.fingerprint}, not ${r.fingerprint}`,
        'fingerprint-mismatch',
        'Get the right key from the repository publisher; do not change the pin to match.',
      );
    await notBundleTop(r.url, `${field(i)}.url`);
    for (const [j, m] of (r.mirrors ?? []).entries()) await notBundleTop(m, `${field(i)}.mirrors.${j}`);
    out.push({ name: r.name, url: r.url, ...(r.mirrors ? { mirrors: r.mirrors } : {}), key });
  }
  return out;
}

/**
 * A file:// url naming the folder `bpkg bundle` wrote (a stick), whose repository is a folder in it:
 * refused while planning, before anything changes (the package manager refuses it too, but only
 * once the apply has begun, and with its own command for a hint).
 */
async function notBundleTop(url: string, field: string): Promise<void> {
  if (!/^file:\/\//i.test(url)) return;
  const { repositoryBelowTop } = await import('../pkg/bundle-folder.js');
  const inner = await repositoryBelowTop(url);
  if (!inner) return;
  const { pathToFileURL } = await import('node:url');
  throw new UsageError(
    `${field}: ${url} holds its repository in ${inner}, not at its top (as \`bpkg bundle\` writes it)`,
    `Give that folder as the repository's url: ${pathToFileURL(inner).href}`,
  );
}
