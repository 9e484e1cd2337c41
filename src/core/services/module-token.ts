import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, UsageError, VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import { removeAt, writeFileAt } from '../system/safe-write.js';
import { claimModuleData } from './data-owner.js';
import { ensureDirSync } from './fs-cb.js';
import { getRegistration } from './registry.js';
import type { ServiceSpec } from './schema.js';
import { TOKEN_FILE } from './wiring.js';

/**
 * A module's access token (`blueprint service token NAME`): the file ROOT/var/lib/blueprint/modules/
 * NAME/access-token that the module's server reads (the kit's readAccessToken) and blueprint gives
 * the modules that use it (wiring.ts). That folder is the module's data folder: its container's
 * user owns it (the engine's `U` mount option) and writes in it, so a module (or whoever took it
 * over) can leave a link at the token's name to any file of the host. Root must never write
 * through it, as `echo TOKEN > …/access-token` would: the folder is held open without following a
 * link at its own name, and the token is written under a new name (O_EXCL|O_NOFOLLOW), given the
 * folder's owner and mode 0440 through its descriptor, and renamed over whatever is at the name
 * (rename replaces a link or a FIFO, it never opens one).
 */

/** The kit refuses a token shorter than this (modules/kit/server/token.ts). */
export const MIN_TOKEN_LENGTH = 16;
/** wiring.ts reads at most 4 KiB of a token file: the token and its newline. */
const MAX_TOKEN_LENGTH = 4095;

/** A fresh token: 32 random bytes, base64url (43 characters). */
export const newAccessToken = (): string => randomBytes(32).toString('base64url');

/** A token a client can send in `Authorization: Bearer`: printable ASCII, no space, 16 to 4095 characters (with its newline, what wiring.ts reads). */
export function checkAccessToken(token: string): string {
  if (!/^[\x21-\x7e]+$/.test(token) || token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH)
    throw new UsageError(
      `An access token is ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} printable characters without spaces`,
      'Let blueprint make one (leave out --stdin), or give one of that kind.',
    );
  return token;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

function unsafeFolder(where: string): VerificationError {
  return new VerificationError(
    `${where} is a symbolic link or not a folder; no token was written through it`,
    'unsafe-link',
    `Look at who made ${where}; remove it (the next start of the service makes the folder again), then set the token again.`,
  );
}

/** The module's data folder, held open (made when the module never ran); a link at its name is refused. */
export async function openDataDir(root: string, name: string): Promise<{ dir: FileHandle; where: string }> {
  const base = layout(root).modulesData;
  const where = path.join(base, name);
  // The box's own folder of module data, root's: links on the way to it are the admin's layout.
  ensureDirSync(base, 0o755);
  const parent = await open(base, O_RDONLY | O_DIRECTORY);
  try {
    // Made as the services layer makes it at a start (the engine's `U` option then gives it to the module).
    await mkdir(`/proc/self/fd/${parent.fd}/${name}`, { mode: 0o750 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const dir = await open(`/proc/self/fd/${parent.fd}/${name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(
      (err: NodeJS.ErrnoException) => {
        throw err.code === 'ELOOP' || err.code === 'ENOTDIR' ? unsafeFolder(where) : err;
      },
    );
    return { dir, where };
  } finally {
    await parent.close();
  }
}

/**
 * Whether the module's server can read its token: it does so through an environment variable naming
 * DATA/access-token (the kit's readAccessToken; every catalog module, the scaffold). Without one a
 * token was written, the command said so, and the API still answered any local client.
 */
export function readsToken(spec: ServiceSpec): boolean {
  if (!spec.data) return false;
  const file = path.posix.join(spec.data, TOKEN_FILE);
  return Object.values(spec.env ?? {}).some((v) => path.posix.normalize(v) === file);
}

/**
 * Sets (or, with `token` undefined, removes) the access token of installed module `name`. The file
 * is the folder's owner's (the module's user once it has run), mode 0440. The module and the
 * modules that use it read it at their next start.
 */
export async function setAccessToken(
  root: string,
  name: string,
  token: string | undefined,
): Promise<{ file: string; changed: boolean }> {
  const reg = await getRegistration(root, name); // an installed module's name, never a path
  if (token !== undefined) checkAccessToken(token);
  // Not into a folder kept from a package of this name from elsewhere (data-owner.ts).
  claimModuleData(root, name);
  if (token !== undefined) {
    if (!readsToken(reg.spec))
      throw new ConflictError(
        `${name} reads no access token: its manifest gives its server no path to one, so a token would leave its API open to every local client; nothing was written`,
        'token-not-read',
        `A module reads its token from ${TOKEN_FILE} in its data folder, named by an environment variable of its manifest (modules/kit/README.md, "Access token"); ask its publisher for a version that does. Meanwhile its socket is open to whoever may connect to it.`,
      );
  }
  const { dir, where } = await openDataDir(root, name);
  try {
    const file = path.join(where, TOKEN_FILE);
    // None to remove: nothing changed, and no restart is needed for it.
    if (token === undefined) return { file, changed: await removeAt(dir, TOKEN_FILE) };
    const st = await dir.stat();
    await writeFileAt(dir, TOKEN_FILE, `${token}\n`, { mode: 0o440, owner: [st.uid, st.gid] });
    return { file, changed: true };
  } finally {
    await dir.close();
  }
}
