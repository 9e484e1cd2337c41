/**
 * RAUC's configuration of a root other than `/` (`--root TREE`: an image mounted to inspect, a
 * folder that may be another user's). RAUC runs the program its `[handlers] system-info` names as
 * soon as it has read a system.conf, in the client, whatever the command (`rauc status` included):
 * handed TREE/etc/rauc/system.conf as it is, root ran a program of the tree's choosing (its own, or
 * the host's /sbin/reboot) when the tree was merely looked at (`blueprint --root TREE status`).
 *
 * So a tree's configuration is untrusted bytes: read once (no link followed, no FIFO waited on, 64
 * KiB at most, no NUL byte), refused when its `[handlers]` name anything but the programs RAUC's service runs
 * (the bootloader backend the box's own config names, the install handlers: on a box the service
 * reads its own /etc/rauc/system.conf), and RAUC reads that judged copy, never the tree's file again
 * (without the paths the client makes or reads at once: withoutClientPaths).
 */
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlueprintError, ExitCode } from '../errors.js';
import { type HeldFolder, openFolderBeneath, type ReadBeneath, readFileBeneath } from '../system/beneath.js';
import { readBoundedFile } from '../system/read-bounded.js';

const MAX_CONF = 64 * 1024;

/** The `[handlers]` RAUC's service runs (installs, the bootloader): none of them runs in a client. */
const SERVICE_HANDLERS = new Set([
  'bootloader-custom-backend',
  'pre-install',
  'post-install',
  'install-check',
]);

function refused(conf: string, why: string): BlueprintError {
  return new BlueprintError(
    `RAUC is not given ${conf}: ${why}`,
    'rauc-unavailable',
    "A root other than / is anyone's tree: its RAUC configuration is read as untrusted, and RAUC is never handed one that has it run a program as root. On the box itself (root /), RAUC reads its own.",
    ExitCode.failure,
  );
}

/**
 * The `[handlers]` keys of a GLib key file that RAUC's client would run. Generous in what it takes
 * for one: a group or key spelt with spaces around it, a key with a locale suffix (`key[en]`).
 */
export function clientHandlers(text: string): string[] {
  const out: string[] = [];
  for (const { group, key } of keyLines(text))
    if (group === 'handlers' && key && !SERVICE_HANDLERS.has(key) && !out.includes(key)) out.push(key);
  return out;
}

/** Each line of a GLib key file, with the group it is in and its key (empty: no key there). */
function keyLines(text: string): { raw: string; group: string; key: string }[] {
  let group = '';
  return text.split(/\r?\n/).map((raw) => {
    const line = raw.trim();
    const g = /^\[(.*)\]$/.exec(line);
    if (g) group = g[1]!.trim().toLowerCase();
    const eq = line.indexOf('=');
    if (g || !line || line.startsWith('#') || eq < 0) return { raw, group, key: '' };
    const key = line
      .slice(0, eq)
      .replace(/\[[^\]]*\]\s*$/, '')
      .trim();
    return { raw, group, key };
  });
}

/**
 * `[system]` keys naming a path RAUC's client uses as soon as it reads the file, whatever the
 * command: `data-directory` it makes (mkdir -p, as root: a tree naming /etc/nologin had every login
 * but root's refused), `variant-file` it reads (a FIFO there held `system status` for good). A
 * client answered by the service (which reads its own config) needs neither.
 */
const CLIENT_PATHS = new Set(['data-directory', 'variant-file']);

/** The configuration without the `[system]` keys of CLIENT_PATHS. */
export function withoutClientPaths(text: string): string {
  return keyLines(text)
    .filter(({ group, key }) => !(group === 'system' && CLIENT_PATHS.has(key)))
    .map(({ raw }) => raw)
    .join('\n');
}

/** The most a keyring (PEM certificates) may hold. */
const MAX_KEYRING = 1024 * 1024;

/** The most files a keyring directory may hold (OpenSSL's HASH.N names, their certificates). */
const MAX_KEYRING_FILES = 256;

/** Why a file of the tree is refused, in words (`size`: its bound). */
function notTaken(r: Exclude<ReadBeneath, { ok: true }>, size: string): string {
  switch (r.why) {
    case 'open':
      return r.error.code === 'ELOOP'
        ? 'is a link (not followed in a tree)'
        : `cannot be read: ${r.error.message}`;
    case 'too-large':
    case 'grew':
      return `is larger than ${size}`;
    case 'link':
      return `is reached through ${r.at}, a link of the tree (not followed in a tree)`;
    case 'not-a-folder':
      return `is reached through ${r.at}, which is not a folder`;
    case 'climbs-out':
      return 'climbs out of the tree with ..';
    case 'missing':
      return 'is not there';
    default:
      return 'is not a regular file (a link, a FIFO or a device is neither followed nor opened in a tree)';
  }
}

/** Gone (ENOENT), at the file's name or a folder on the way: left to RAUC, which says so. */
const isMissing = (r: Exclude<ReadBeneath, { ok: true }>) =>
  r.why === 'missing' || (r.why === 'open' && r.error.code === 'ENOENT');

/** Links followed from one entry of a keyring directory to the file it names (c_rehash: one). */
const MAX_LINK_HOPS = 8;

/**
 * Where a file of the tree's system.conf (CLIENT_FILES) is, as RAUC resolves it (relative: from the
 * system.conf's folder): below the tree (`rel`, read through its descriptors: no link of the tree
 * followed, nor `..` out of it), or an absolute path elsewhere on the host (`host`), read as a
 * named path is (read-bounded's followLink: a link only where root put it).
 */
function placeOf(tree: Tree, named: string): { rel: string } | { host: string } {
  const from = path.dirname(tree.conf);
  const full = path.resolve(from, named);
  for (const base of new Set([path.resolve(tree.root), tree.real]))
    if (full === base || full.startsWith(`${base}/`))
      return { rel: path.posix.normalize(`./${path.relative(base, full)}`) };
  // Relative: joined as text, so a `..` past the tree is seen as such (path.resolve folds it).
  if (!path.isAbsolute(named))
    return { rel: path.posix.normalize(`${path.relative(tree.root, from)}/${named}`) };
  return { host: full };
}

/**
 * A copy in `copy` of the tree's keyring directory (OpenSSL's hashed folder: RAUC's client opens
 * the certificate it needs as HASH.0 while it checks a bundle, and a FIFO there held it). The folder
 * is opened once (below the tree, through its descriptors from the tree's own: openFolderBeneath)
 * and every entry is read through that descriptor (/proc/self/fd/N/NAME, O_NOFOLLOW), so no link of
 * the tree is followed, and a folder of it swapped for a link meanwhile changes nothing read. Each
 * entry is read once as a keyring file is; a link (c_rehash makes HASH.0 a link to its certificate)
 * is followed only to a name in the same folder. 256 files and 1 MiB in all at most. False: no such
 * folder (left to RAUC, which says so).
 */
async function copyKeyringDir(tree: Tree, named: string, copy: string): Promise<boolean> {
  const place = placeOf(tree, named);
  const what = `its [keyring] directory ${'rel' in place ? path.join(tree.root, place.rel) : place.host}`;
  let folder: HeldFolder;
  if ('rel' in place) {
    const r = await openFolderBeneath(tree.root, place.rel);
    if (!r.ok && r.why === 'missing') return false;
    if (!r.ok) throw refused(tree.conf, `${what} ${notTaken(r, '1 MiB')}`);
    folder = r.dir;
  } else {
    const r = await open(place.host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NONBLOCK).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw refused(tree.conf, `${what} cannot be read as a folder: ${err.message}`);
      },
    );
    if (r === undefined) return false;
    folder = r;
  }
  try {
    const at = (name: string) => `/proc/self/fd/${folder.fd}/${name}`;
    const names = await readdir(at('')).catch((err: Error) => {
      throw refused(tree.conf, `${what} cannot be read as a folder: ${err.message}`);
    });
    if (names.length > MAX_KEYRING_FILES)
      throw refused(tree.conf, `${what} holds more than ${MAX_KEYRING_FILES} files`);
    await mkdir(copy, { mode: 0o700 });
    let total = 0;
    for (const name of names) {
      let target = name;
      for (let hop = 0; ; hop++) {
        const link = await readlink(at(target)).catch(() => undefined);
        if (link === undefined) break;
        const next = path.posix.normalize(link);
        if (next.includes('/') || next === '..' || hop === MAX_LINK_HOPS)
          throw refused(tree.conf, `${what}: ${name} is a link out of the folder (not followed in a tree)`);
        target = next;
      }
      const r = await readBoundedFile(at(target), MAX_KEYRING - total);
      if (!r.ok) throw refused(tree.conf, `${what}: ${name} ${notTaken(r, '1 MiB')}`);
      total += r.bytes.length;
      await writeFile(path.join(copy, name), r.bytes, { mode: 0o600, flag: 'wx' });
    }
    return true;
  } finally {
    await folder.close();
  }
}

/** A file the tree's system.conf names (`[keyring] path`, `[encryption] key`…), read once (see placeOf). */
async function readKeyring(tree: Tree, named: string): Promise<{ shown: string; r: ReadBeneath }> {
  const place = placeOf(tree, named);
  if ('host' in place)
    return { shown: place.host, r: await readBoundedFile(place.host, MAX_KEYRING, { followLink: true }) };
  return {
    shown: path.join(tree.root, place.rel),
    r: await readFileBeneath(tree.root, place.rel, MAX_KEYRING),
  };
}

/**
 * The files RAUC's client reads while it checks a bundle, by group and key: the keyring (a file or
 * OpenSSL's hashed folder), and for a crypt bundle (RAUC 1.8) the `[encryption]` key and
 * certificate it decrypts with. `[streaming]`'s TLS files are read only for a bundle at a URL,
 * which blueprint never hands RAUC (a local copy: bundle-copy.ts).
 */
const CLIENT_FILES: Record<string, readonly string[]> = {
  keyring: ['path', 'directory'],
  encryption: ['key', 'cert'],
};

/**
 * The configuration with each file of CLIENT_FILES pointing at a judged copy in `dir`: RAUC's
 * client reads them to check a bundle (`info`, `install`), and a FIFO there held `system update
 * FILE` until Ctrl-C. Read once as the configuration is (no link, no FIFO, 1 MiB at most); a
 * relative path is the tree's, from its system.conf's folder (as RAUC resolves it), not the copy's.
 * One that is not there is a name in `dir` that is not there either (never the tree's own name,
 * which its owner could fill after this look: RAUC would read that), recorded in `names` so that
 * RAUC's words about it name the tree's path.
 */
async function withJudgedKeyrings(text: string, tree: Tree, dir: string, names: Names): Promise<string> {
  const lines: string[] = [];
  let n = 0;
  for (const { raw, group, key } of keyLines(text)) {
    // `key[en]=` (a locale's) is not the key RAUC reads: left as it is.
    const exact = CLIENT_FILES[group]?.includes(key) && raw.slice(0, raw.indexOf('=')).trim() === key;
    const m = exact ? /^[^=]*=\s*(.*?)\s*$/.exec(raw) : null;
    if (!m) {
      lines.push(raw);
      continue;
    }
    const named = m[1]!;
    const what = `its [${group}] ${key}`;
    // GLib unescapes a value (\s, \\): one spelt so is not read otherwise than RAUC would.
    if (named.includes('\\'))
      throw refused(tree.conf, `${what} ${JSON.stringify(named)} has a backslash escape`);
    const shown = path.resolve(path.dirname(tree.conf), named);
    if (key === 'directory') {
      const copy = path.join(dir, `keyring-${n++}.d`);
      if (!(await copyKeyringDir(tree, named, copy))) names.push([copy, shown]);
      lines.push(`directory=${copy}`);
      continue;
    }
    const copy = path.join(dir, `${group}-${n++}.pem`);
    const { shown: at, r } = await readKeyring(tree, named);
    if (!r.ok) {
      if (!isMissing(r)) throw refused(tree.conf, `${what} ${at} ${notTaken(r, '1 MiB')}`);
      names.push([copy, shown]);
    } else await writeFile(copy, r.bytes, { mode: 0o600, flag: 'wx' });
    lines.push(`${key}=${copy}`);
  }
  return lines.join('\n');
}

/** The tree (`--root TREE`: `root` as named, `real` where it is) and its system.conf below it. */
interface Tree {
  root: string;
  real: string;
  conf: string;
}

/** Paths RAUC is given in the private folder, each with the tree's path its words should name. */
type Names = [copy: string, tree: string][];

/**
 * Runs `use` with a judged copy of the tree's system.conf (`conf`, below `root`), removed after.
 * Every file of the tree is read through descriptors from the tree's own folder down
 * (beneath.ts's readFileBeneath): a link anywhere below TREE (TREE/etc -> /elsewhere) is refused,
 * never followed. `keyring`: the command reads the keyring (a bundle's check): RAUC is given judged
 * copies of it too. `names`: the private paths RAUC is given and the tree's paths they stand for (a
 * file not there is one of those too: RAUC says so, in its words, of a path no one else can fill).
 */
export async function withTreeConf<T>(
  where: { root: string; conf: string },
  use: (judged: string, names: Names) => Promise<T>,
  opts: { keyring?: boolean } = {},
): Promise<T> {
  const { root, conf } = where;
  const tree: Tree = { root, conf, real: await realpath(root).catch(() => path.resolve(root)) };
  const rel = path.relative(root, conf);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw refused(conf, `it is not below the tree ${root}`);
  const r = await readFileBeneath(root, rel, MAX_CONF);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'blueprint-rauc-conf-'));
  try {
    const copy = path.join(dir, 'system.conf');
    const names: Names = [[copy, conf]];
    if (!r.ok) {
      // None there: RAUC says so in its words (a box without A/B slots), as before, of a name in
      // our folder (the tree's own could be filled between this look and RAUC's).
      if (isMissing(r)) return await use(copy, names);
      throw refused(
        conf,
        r.why === 'open' && r.error.code === 'ELOOP'
          ? 'it is a link (not followed in a tree)'
          : r.why === 'open'
            ? r.error.message
            : `it ${notTaken(r, '64 KiB')}`,
      );
    }
    // GLib reads each line as a C string, up to a NUL: `[handlers]\0x` is the group handlers to RAUC
    // and no group to clientHandlers. A system.conf has no NUL; one that does is not read otherwise.
    if (r.bytes.includes(0))
      throw refused(conf, 'it holds a NUL byte, which RAUC reads otherwise than this check does');
    const run = clientHandlers(r.bytes.toString('utf8'));
    if (run.length)
      throw refused(
        conf,
        `its [handlers] name ${run.join(', ')}, a program RAUC runs as root as soon as it reads the file`,
      );
    const text = withoutClientPaths(r.bytes.toString('utf8'));
    await writeFile(copy, opts.keyring ? await withJudgedKeyrings(text, tree, dir, names) : text, {
      mode: 0o600,
      flag: 'wx',
    });
    return await use(copy, names);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
