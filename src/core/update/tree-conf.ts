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
import { mkdir, mkdtemp, open, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlueprintError, ExitCode } from '../errors.js';
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

/** Why a keyring file of the tree is refused, in words. */
const notTaken = (r: Exclude<Awaited<ReturnType<typeof readBoundedFile>>, { ok: true }>) =>
  r.why === 'open'
    ? r.error.code === 'ELOOP'
      ? 'is a link (not followed in a tree)'
      : `cannot be read: ${r.error.message}`
    : r.why === 'too-large' || r.why === 'grew'
      ? 'is larger than 1 MiB'
      : 'is not a regular file (a link, a FIFO or a device is neither followed nor opened in a tree)';

/** Links followed from one entry of a keyring directory to the file it names (c_rehash: one). */
const MAX_LINK_HOPS = 8;

/**
 * A copy in `copy` of the tree's keyring directory (OpenSSL's hashed folder: RAUC's client opens
 * the certificate it needs as HASH.0 while it checks a bundle, and a FIFO there held it). The folder
 * is opened once and every entry is read through that descriptor (/proc/self/fd/N/NAME, O_NOFOLLOW),
 * so a folder of the tree swapped for a link meanwhile changes nothing read. Each entry is read once
 * as a keyring file is; a link (c_rehash makes HASH.0 a link to its certificate) is followed only to
 * a name in the same folder. 256 files and 1 MiB in all at most. False: no such folder (left to
 * RAUC, which says so).
 */
async function copyKeyringDir(conf: string, named: string, copy: string): Promise<boolean> {
  const what = `its [keyring] directory ${named}`;
  const folder = await open(named, constants.O_RDONLY | constants.O_DIRECTORY).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw refused(conf, `${what} cannot be read as a folder: ${err.message}`);
    },
  );
  if (folder === undefined) return false;
  try {
    const at = (name: string) => `/proc/self/fd/${folder.fd}/${name}`;
    const names = await readdir(at('')).catch((err: Error) => {
      throw refused(conf, `${what} cannot be read as a folder: ${err.message}`);
    });
    if (names.length > MAX_KEYRING_FILES)
      throw refused(conf, `${what} holds more than ${MAX_KEYRING_FILES} files`);
    await mkdir(copy, { mode: 0o700 });
    let total = 0;
    for (const name of names) {
      let target = name;
      for (let hop = 0; ; hop++) {
        const link = await readlink(at(target)).catch(() => undefined);
        if (link === undefined) break;
        const next = path.posix.normalize(link);
        if (next.includes('/') || next === '..' || hop === MAX_LINK_HOPS)
          throw refused(conf, `${what}: ${name} is a link out of the folder (not followed in a tree)`);
        target = next;
      }
      const r = await readBoundedFile(at(target), MAX_KEYRING - total);
      if (!r.ok) throw refused(conf, `${what}: ${name} ${notTaken(r)}`);
      total += r.bytes.length;
      await writeFile(path.join(copy, name), r.bytes, { mode: 0o600, flag: 'wx' });
    }
    return true;
  } finally {
    await folder.close();
  }
}

/**
 * The configuration with each `[keyring] path` and `directory` pointing at a judged copy in `dir`:
 * RAUC's client reads the keyring to check a bundle (`info`, `install`), and a FIFO there held
 * `system update FILE` until Ctrl-C. Read once as the configuration is (no link, no FIFO, 1 MiB at
 * most); a relative path is the tree's, from its system.conf's folder (as RAUC resolves it), not
 * the copy's. One that is not there is named whole and left to RAUC, which says so in its words.
 */
async function withJudgedKeyrings(text: string, conf: string, dir: string): Promise<string> {
  const lines: string[] = [];
  let n = 0;
  for (const { raw, group } of keyLines(text)) {
    const m = group === 'keyring' ? /^\s*(path|directory)\s*=\s*(.*?)\s*$/.exec(raw) : null;
    if (!m) {
      lines.push(raw);
      continue;
    }
    const [, key, named] = m as unknown as [string, 'path' | 'directory', string];
    // GLib unescapes a value (\s, \\): one spelt so is not read otherwise than RAUC would.
    if (named.includes('\\'))
      throw refused(conf, `its [keyring] ${key} ${JSON.stringify(named)} has a backslash escape`);
    const keyring = path.resolve(path.dirname(conf), named);
    if (key === 'directory') {
      const copy = path.join(dir, `keyring-${n++}.d`);
      lines.push(`directory=${(await copyKeyringDir(conf, keyring, copy)) ? copy : keyring}`);
      continue;
    }
    const r = await readBoundedFile(keyring, MAX_KEYRING);
    if (!r.ok) {
      if (r.why === 'open' && r.error.code === 'ENOENT') {
        lines.push(`path=${keyring}`);
        continue;
      }
      throw refused(conf, `its [keyring] path ${keyring} ${notTaken(r)}`);
    }
    const copy = path.join(dir, `keyring-${n++}.pem`);
    await writeFile(copy, r.bytes, { mode: 0o600, flag: 'wx' });
    lines.push(`path=${copy}`);
  }
  return lines.join('\n');
}

/**
 * Runs `use` with a judged copy of the tree's system.conf (`conf`), removed after. `keyring`: the
 * command reads the keyring (a bundle's check): RAUC is given judged copies of it too.
 */
export async function withTreeConf<T>(
  conf: string,
  use: (judged: string) => Promise<T>,
  opts: { keyring?: boolean } = {},
): Promise<T> {
  const r = await readBoundedFile(conf, MAX_CONF);
  if (!r.ok) {
    // None there: RAUC says so in its words (a box without A/B slots), as before.
    if (r.why === 'open' && r.error.code === 'ENOENT') return use(conf);
    throw refused(
      conf,
      r.why === 'open'
        ? r.error.code === 'ELOOP'
          ? 'it is a link (not followed in a tree)'
          : r.error.message
        : r.why === 'too-large' || r.why === 'grew'
          ? 'it is larger than 64 KiB'
          : 'it is not a regular file (a link, a FIFO or a device is neither followed nor opened in a tree)',
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
  const dir = await mkdtemp(path.join(os.tmpdir(), 'blueprint-rauc-conf-'));
  try {
    const copy = path.join(dir, 'system.conf');
    const text = withoutClientPaths(r.bytes.toString('utf8'));
    await writeFile(copy, opts.keyring ? await withJudgedKeyrings(text, conf, dir) : text, {
      mode: 0o600,
      flag: 'wx',
    });
    return await use(copy);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
