import { constants } from 'node:fs';
import path from 'node:path';
import { BlueprintError, ConflictError, NotFoundError } from '../errors.js';
import { writeFileAtomic } from '../system/fs.js';
import { layout } from '../system/paths.js';
import { mkdir, rm } from './fs-cb.js';
import { serviceDirs } from './policy.js';
import { compareVersions, findRegistration, type LoadedRegistration, listRegistrations } from './registry.js';

/** File handles and ownership, for modules that use others only: not loaded at every start (fs-cb.ts). */
const fsp = () => process.getBuiltinModule('node:fs/promises');

/**
 * Module wiring: a module that declares `uses: ["llm>=0.1.0"]` in its manifest gets, read-only,
 * the socket folder of each module it names (at /run/blueprint/uses/NAME) and that module's access
 * token when the admin set one (/run/blueprint/tokens/NAME), and nothing else: a socket folder it
 * did not declare is not in its mount namespace at all. No network is added.
 *
 * Each side runs in its own user namespace, so the provider's socket folder (chowned to the
 * provider's mapped uid by the `U` mount option, mode 0750) would refuse the consumer. Its group
 * gets an ACL entry on exactly the folders it declared (search only: it can reach the socket by
 * name, not list or change the folder); the kit's sockets are 0666, so the folder is the gate, as
 * for /run/docker.sock. The token is copied by blueprint (read once, never through a link the
 * provider could plant in the folder it owns) into a file only the consumer's group may read.
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
}

/** `BLUEPRINT_USES_LLM_SOCKET` and `_TOKEN_FILE`: how a module finds what it uses. */
export const usesEnv = (name: string) => `BLUEPRINT_USES_${name.toUpperCase().replace(/-/g, '_')}`;

const tokenCopy = (root: string, consumer: string, provider: string) =>
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
        `Install it: bpkg install ${name}`,
        'uses-missing',
      );
    if (!meets(p.version, comparators))
      throw new ConflictError(
        `${reg.name} uses ${name} ${range}, but ${name} ${p.version} is installed`,
        'uses-version',
        `Install a version of ${name} that ${reg.name} accepts (bpkg install ${name}@VERSION), or upgrade ${reg.name}.`,
      );
    if (!p.spec.socket)
      throw new BlueprintError(
        `${reg.name} uses ${name}, which has no socket to connect to`,
        'uses-no-socket',
        `Only modules with a service socket can be used; fix ${reg.name}'s manifest.`,
      );
    const target = path.posix.join(USES_DIR, name);
    const token = (await readToken(root, name)) !== undefined;
    out.push({
      name,
      range,
      version: p.version,
      socketDir: serviceDirs(root, name).socketDir,
      target,
      socket: path.posix.join(target, p.spec.socket.file),
      ...(token
        ? { tokenFile: tokenCopy(root, reg.name, name), tokenTarget: path.posix.join(TOKENS_DIR, name) }
        : {}),
    });
  }
  return out;
}

/**
 * The provider's token, read once from the folder the provider owns: never through a link
 * (O_NOFOLLOW), never blocking on a FIFO, only a regular file of at most 4 KiB. Undefined: none set.
 */
export async function readToken(root: string, provider: string): Promise<Buffer | undefined> {
  const file = path.join(serviceDirs(root, provider).dataDir, TOKEN_FILE);
  const fh = await fsp()
    .open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    .catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0 || st.size > MAX_TOKEN_BYTES) return undefined;
    const buf = Buffer.alloc(MAX_TOKEN_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead > 0 && bytesRead <= MAX_TOKEN_BYTES ? buf.subarray(0, bytesRead) : undefined;
  } finally {
    await fh.close();
  }
}

/** Before the container is created: the token copies exist (root's, unreadable to anyone yet). */
export async function writeTokenCopies(root: string, consumer: string, used: UsedModule[]): Promise<void> {
  const dir = path.join(layout(root).runDir, 'wiring', consumer);
  await rm(dir, { recursive: true, force: true });
  if (!used.some((u) => u.tokenFile)) return;
  await mkdir(dir, { recursive: true, mode: 0o711 });
  for (const u of used) {
    if (!u.tokenFile) continue;
    const bytes = await readToken(root, u.name);
    await writeFileAtomic(u.tokenFile, bytes ?? '', 0o400);
  }
}

/**
 * Once the consumer's user namespace is known (`gid`: its group on the host): its group may search
 * each used socket folder and read its token copies. Run at every start: a folder made afresh
 * (the provider reinstalled) has lost the entry.
 */
export async function shareWiring(used: UsedModule[], gid: number): Promise<void> {
  if (used.length === 0) return;
  for (const u of used) await mkdir(u.socketDir, { recursive: true, mode: 0o750 });
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
  for (const u of used)
    if (u.tokenFile) {
      await fsp().chown(u.tokenFile, 0, gid);
      await fsp().chmod(u.tokenFile, 0o440);
    }
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
