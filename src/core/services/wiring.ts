import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintError, ConflictError, NotFoundError, VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { ensureDirSync, rm } from './fs-cb.js';
import { serviceDirs } from './policy.js';
import { compareVersions, findRegistration, type LoadedRegistration, listRegistrations } from './registry.js';

/** File handles and ownership, for modules that use others only: not loaded at every start (fs-cb.ts). */
const fsp = () => process.getBuiltinModule('node:fs/promises');

/**
 * Module wiring: a module that declares `uses: ["llm>=0.1.0"]` in its manifest gets, read-only,
 * the socket folder of each module it names (at /run/blueprint/uses/NAME) and a token for it
 * (/run/blueprint/tokens/NAME): its own, when that module takes a token per consumer
 * (client-tokens.ts), else a copy of the admin's when the admin set one; and nothing else: a
 * socket folder it did not declare is not in its mount namespace at all. No network is added.
 *
 * Each side runs in its own user namespace, so the provider's socket folder (chowned to the
 * provider's mapped uid by the `U` mount option, mode 0750) would refuse the consumer. Its group
 * gets an ACL entry on exactly the folders it declared (search only: it can reach the socket by
 * name, not list or change the folder); the kit's sockets are 0666, so the folder is the gate, as
 * for /run/docker.sock. The token is copied by blueprint (read once, never through a link the
 * provider could plant in the folder it owns) into a file only the consumer's group may read.
 *
 * The copies live in ROOT/run/blueprint/wiring/CONSUMER. Only root can write there, but nothing
 * relies on it: the folders are held open (O_NOFOLLOW|O_DIRECTORY) and every name is reached
 * through them (system/safe-write.ts), each copy is made afresh under a random name
 * (O_CREAT|O_EXCL|O_NOFOLLOW), given its owner and mode on the descriptor, synced and renamed into
 * place: a link or hard link at any of these names is replaced or refused, never followed, and a
 * crash leaves no half-written copy.
 */

export const USES_DIR = '/run/blueprint/uses';
export const TOKENS_DIR = '/run/blueprint/tokens';
/** The file in a module's data folder that holds its access token (embeddings, llm, vectors). */
export const TOKEN_FILE = 'access-token';
const MAX_TOKEN_BYTES = 4096;

/** One module a service uses, as the sandbox mounts it. */
export interface UsedModule {
  name: string;
  /** The range the consumer declared (`*` for any). */
  range: string;
  version: string;
  /** Host folder of the provider's socket, mounted read-only at `target`. */
  socketDir: string;
  target: string;
  /** The socket inside the consumer. */
  socket: string;
  /** Host path of the token copy made for this consumer, when the provider has a token. */
  tokenFile?: string;
  tokenTarget?: string;
  /** Host path of the provider's token, in the data folder the provider owns. */
  tokenSource?: string;
  /**
   * The provider takes a token per consumer (socket.clientTokens): the copy is the consumer's own
   * token (client-tokens.ts), never the admin's, made whether or not the admin set one.
   */
  issued?: { root: string; consumer: string };
}

/** `BLUEPRINT_USES_LLM_SOCKET` and `_TOKEN_FILE`: how a module finds what it uses. */
export const usesEnv = (name: string) => `BLUEPRINT_USES_${name.toUpperCase().replace(/-/g, '_')}`;

export const tokenCopy = (root: string, consumer: string, provider: string) =>
  path.join(layout(root).runDir, 'wiring', consumer, `${provider}.token`);

/**
 * The names and ranges a registration uses (registrations from before `uses` have none). The
 * entries passed the manifest schema at install (`name>=1.0.0,<2.0.0`); read here without zod or
 * semver, which `service status` (the TUI asks every 2 s) does not load.
 */
export function usesOf(reg: LoadedRegistration): { name: string; range: string; comparators: string[] }[] {
  return (reg.uses ?? []).map((u) => {
    const m = /^([a-z0-9][a-z0-9-]*)\s*(.*)$/.exec(u.trim());
    const comparators = (m?.[2] ?? '')
      .split(',')
      .map((c) => c.replace(/\s+/g, ''))
      .filter((c) => c !== '');
    return { name: m?.[1] ?? u, range: comparators.join(' ') || '*', comparators };
  });
}

/** Whether `version` meets every comparator (`>=1.0.0`, `<2.0.0`, `=1.2.3`). */
export function meets(version: string, comparators: string[]): boolean {
  return comparators.every((c) => {
    const m = /^(>=|<=|=|>|<)(.+)$/.exec(c);
    if (!m) return false;
    const d = compareVersions(version, m[2]!);
    return { '>=': d >= 0, '<=': d <= 0, '=': d === 0, '>': d > 0, '<': d < 0 }[m[1] as '>='];
  });
}

/** Whether `version` is below a lower bound of `comparators` (`>=1.0.0`, `>1.0.0`, `=1.0.0`). */
function olderThan(version: string, comparators: string[]): boolean {
  return comparators.some((c) => {
    const m = /^(>=|>|=)(.+)$/.exec(c);
    return (
      m !== null &&
      (m[1] === '>' ? compareVersions(version, m[2]!) <= 0 : compareVersions(version, m[2]!) < 0)
    );
  });
}

/**
 * What `reg` uses, checked against what is installed: each must be installed at a version in range
 * and have a socket. Reads nothing the provider could change but whether it has a token file.
 */
export async function planUses(root: string, reg: LoadedRegistration): Promise<UsedModule[]> {
  const out: UsedModule[] = [];
  for (const { name, range, comparators } of usesOf(reg)) {
    const p = await findRegistration(root, name);
    if (!p)
      throw new NotFoundError(
        `${reg.name} uses ${name}, which is not installed`,
        comparators.length
          ? `Install a version of ${name} that ${reg.name} accepts (${range}): \`bpkg install ${name}\`, or \`bpkg install ${name}@VERSION\` when the newest is out of that range`
          : `Install it: \`bpkg install ${name}\``,
        'uses-missing',
      );
    if (!meets(p.version, comparators))
      throw new ConflictError(
        `${reg.name} uses ${name} ${range}, but ${name} ${p.version} is installed`,
        'uses-version',
        // Below the range (rag 0.2.0 beside vectors 0.1.0, from before collection metadata): the
        // used module is the one to upgrade; above it, the consumer or an older used module.
        olderThan(p.version, comparators)
          ? `Upgrade ${name}: \`bpkg upgrade ${name}\`, or install a version that ${reg.name} accepts (\`bpkg install ${name}@VERSION\`); then \`blueprint service restart ${name}\` if it runs.`
          : `Install a version of ${name} that ${reg.name} accepts (\`bpkg install ${name}@VERSION\`), or upgrade ${reg.name}.`,
      );
    if (!p.spec.socket)
      throw new BlueprintError(
        `${reg.name} uses ${name}, which has no socket to connect to`,
        'uses-no-socket',
        `Only modules with a service socket can be used; fix ${reg.name}'s manifest.`,
      );
    const target = path.posix.join(USES_DIR, name);
    const base = {
      name,
      range,
      version: p.version,
      socketDir: serviceDirs(root, name).socketDir,
      target,
      socket: path.posix.join(target, p.spec.socket.file),
    };
    const copy = {
      tokenFile: tokenCopy(root, reg.name, name),
      tokenTarget: path.posix.join(TOKENS_DIR, name),
    };
    // A provider that knows its consumers apart: this one's own token, the admin's never given.
    if (p.spec.socket.clientTokens && p.spec.data) {
      out.push({ ...base, ...copy, issued: { root, consumer: reg.name } });
      continue;
    }
    const tokenSource = path.join(serviceDirs(root, name).dataDir, TOKEN_FILE);
    const token = (await readTokenFile(tokenSource)) !== undefined;
    out.push({ ...base, ...(token ? { ...copy, tokenSource } : {}) });
  }
  return out;
}

/**
 * The provider's token, read once from the folder the provider owns: never through a link
 * (O_NOFOLLOW), never blocking on a FIFO, only a regular file of at most 4 KiB. Undefined: none set.
 */
export const readToken = (root: string, provider: string): Promise<Buffer | undefined> =>
  readTokenFile(path.join(serviceDirs(root, provider).dataDir, TOKEN_FILE));

async function readTokenFile(file: string): Promise<Buffer | undefined> {
  const r = await readBoundedFile(file, MAX_TOKEN_BYTES);
  return r.ok && r.bytes.length > 0 ? r.bytes : undefined;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;
const DIR_NOFOLLOW = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const isLinkOrFile = (err: unknown) =>
  ['ELOOP', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');
const safeWrite = () => import('../system/safe-write.js');

function unsafeWiring(where: string): VerificationError {
  return new VerificationError(
    `${where} is a symbolic link or not a folder of blueprint's own; nothing was written through it`,
    'unsafe-link',
    `Look at who made ${where}, remove it (blueprint makes it again), and start the service again.`,
  );
}

/** ROOT/run/blueprint/wiring held open, made when missing; a link or anything but root's folder is refused. */
export async function openWiring(runDir: string): Promise<FileHandle> {
  const { inDir } = await safeWrite();
  const where = path.join(runDir, 'wiring');
  ensureDirSync(runDir, 0o711);
  // The box's own run folder, as the admin set it up: links on the way to it are followed.
  const run = await fsp().open(runDir, O_RDONLY | O_DIRECTORY);
  try {
    await fsp()
      .mkdir(inDir(run, 'wiring'), 0o711)
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    const fh = await fsp()
      .open(inDir(run, 'wiring'), DIR_NOFOLLOW)
      .catch((err) => {
        throw isLinkOrFile(err) ? unsafeWiring(where) : err;
      });
    const st = await fh.stat();
    if (st.uid !== (process.geteuid?.() ?? 0) || (st.mode & 0o022) !== 0) {
      await fh.close();
      throw unsafeWiring(where);
    }
    return fh;
  } finally {
    await run.close();
  }
}

/**
 * The consumer's folder in `wiring`, held open: 0711, root's. `fresh`: emptied first (whatever is
 * at the name, a link included, is removed without being followed).
 */
export async function openConsumerDir(wiring: FileHandle, runDir: string, consumer: string, fresh: boolean) {
  const { inDir, ensureDirAt } = await safeWrite();
  const where = path.join(runDir, 'wiring', consumer);
  if (fresh) await fsp().rm(inDir(wiring, consumer), { recursive: true, force: true });
  // A link or file at the name is removed, not followed (ensureDirAt); one swapped in after is refused.
  await ensureDirAt(wiring, consumer, 0o711, undefined, where);
  return fsp()
    .open(inDir(wiring, consumer), DIR_NOFOLLOW)
    .catch((err) => {
      throw isLinkOrFile(err) ? unsafeWiring(where) : err;
    });
}

/**
 * Before the container is created: the folder of its token copies made afresh, each copy there
 * (empty and root's alone: a bind source must exist at create; shareWiring fills it). A consumer
 * without tokens: its old folder removed.
 */
export async function writeTokenCopies(root: string, consumer: string, used: UsedModule[]): Promise<void> {
  const { runDir } = layout(root);
  const copies = used.flatMap((u) => (u.tokenFile ? [path.basename(u.tokenFile)] : []));
  if (copies.length === 0) return removeCopies(runDir, consumer);
  const { writeFileAt } = await safeWrite();
  const wiring = await openWiring(runDir);
  try {
    const dir = await openConsumerDir(wiring, runDir, consumer, true);
    try {
      for (const name of copies) await writeFileAt(dir, name, '', { mode: 0o400 });
    } finally {
      await dir.close();
    }
  } finally {
    await wiring.close();
  }
}

/**
 * A consumer's old token copies removed, with synchronous calls (every container create of every
 * service passes here, on the way to create: fs-cb.ts says why neither node:fs/promises nor
 * node:fs's callbacks, whose first use starts libuv's thread pool). The wiring folder is opened
 * without following a link at its name (there is nothing of ours behind one); the consumer's entry
 * is removed through it.
 */
async function removeCopies(runDir: string, consumer: string): Promise<void> {
  const fs = process.getBuiltinModule('node:fs');
  let fd: number;
  try {
    fd = fs.openSync(path.join(runDir, 'wiring'), DIR_NOFOLLOW);
  } catch (err) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
    throw err;
  }
  try {
    await rm(`/proc/self/fd/${fd}/${consumer}`, { recursive: true, force: true });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Once the consumer's user namespace is known (`gid`: its group on the host): its group may search
 * each used socket folder and read its token copies. Run at every start: a folder made afresh
 * (the provider reinstalled) has lost the entry, and /run was emptied at boot while the container
 * stayed. Each copy is the provider's token read now, written afresh as root:gid 0440 and renamed
 * over the name (safe-write.ts writeFileAt).
 */
export async function shareWiring(used: UsedModule[], gid: number): Promise<void> {
  if (used.length === 0) return;
  for (const u of used) ensureDirSync(u.socketDir, 0o750);
  const { execa } = await import('execa');
  try {
    await execa('setfacl', ['-m', `g:${gid}:x`, ...used.map((u) => u.socketDir)]);
  } catch (err) {
    throw new BlueprintError(
      `Could not let the service reach ${used.map((u) => u.name).join(', ')}: ${(err as Error).message.split('\n')[0]}`,
      'uses-access',
      'Install the acl package (`apt-get install acl`); the folders under /run/blueprint/services must be on a file system with ACLs.',
    );
  }
  const tokens = used.filter((u) => u.tokenFile);
  if (tokens.length === 0) return;
  // tokenCopy(): RUN/wiring/CONSUMER/PROVIDER.token, the same consumer for all.
  const consumerDir = path.dirname(tokens[0]!.tokenFile!);
  const runDir = path.dirname(path.dirname(consumerDir));
  const { writeFileAt } = await safeWrite();
  const wiring = await openWiring(runDir);
  try {
    const dir = await openConsumerDir(wiring, runDir, path.basename(consumerDir), false);
    try {
      for (const u of tokens) {
        const put = (bytes: string | Buffer | undefined) =>
          writeFileAt(dir, path.basename(u.tokenFile!), bytes ?? '', { mode: 0o440, owner: [0, gid] });
        if (u.issued)
          await (await import('./client-tokens.js')).issueToken(
            u.issued.root,
            u.name,
            u.issued.consumer,
            put,
          );
        else await put(u.tokenSource ? await readTokenFile(u.tokenSource) : undefined);
      }
    } finally {
      await dir.close();
    }
  } finally {
    await wiring.close();
  }
}

/**
 * The used modules' socket folders a container's label names (policy.ts's USES_DIRS_LABEL), for
 * their ACL entries to go with it. Only what sandboxPolicy writes there is taken: a container made
 * before the spec always set the label may carry its image's, which names anything. A JSON list of
 * …/run/blueprint/services/NAME folders; anything else is none.
 */
export function socketDirsFromLabel(label: string | undefined): string[] {
  let dirs: unknown;
  try {
    dirs = JSON.parse(label || '[]');
  } catch {
    return [];
  }
  return Array.isArray(dirs)
    ? dirs.filter(
        (d): d is string =>
          typeof d === 'string' &&
          path.isAbsolute(d) &&
          path.normalize(d) === d &&
          /\/run\/blueprint\/services\/[a-z0-9][a-z0-9-]{0,62}$/.test(d),
      )
    : [];
}

/** Best effort, when the consumer's container goes: its group's entries leave the folders. */
export async function unshareWiring(socketDirs: string[], gid: number): Promise<void> {
  if (socketDirs.length === 0) return;
  const { execa } = await import('execa');
  await execa('setfacl', ['-x', `g:${gid}`, ...socketDirs], { reject: false });
}

/** Installed services that declare they use `name` (those for which `keep` says yes, when given). */
export async function usersOf(
  root: string,
  name: string,
  keep?: (user: string) => Promise<boolean>,
): Promise<string[]> {
  const users = (await listRegistrations(root))
    .filter((r) => usesOf(r).some((u) => u.name === name))
    .map((r) => r.name);
  const out: string[] = [];
  for (const u of users) if (!keep || (await keep(u))) out.push(u);
  return out;
}
