import { createHmac, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { inDir, removeAt, writeFileAt } from '../system/safe-write.js';
import { claimModuleData, installedOwner } from './data-owner.js';
import { openDataDir } from './module-token.js';
import { CLIENT_TOKENS_FILE } from './policy.js';
import { findRegistration } from './registry.js';
import { refreshCopy } from './token-copies.js';
import { generationOf } from './token-generations.js';
import { legacyTokensInUse } from './token-legacy.js';
import { underTokenLock } from './token-lock.js';
import { usersOf } from './wiring.js';

/**
 * A token per consumer (docs/module-wiring.md, "Who is calling"). A provider whose manifest says
 * `socket.clientTokens` (the module server kit's modules) learns who calls it: each module that
 * declared it in `uses` gets a token of its own for it, mounted at /run/blueprint/tokens/PROVIDER
 * instead of the admin's token, and the provider reads every one of them, `CONSUMER TOKEN` lines,
 * from `client-tokens` in its data folder (its kit names the client, and its fair queue takes turns
 * between clients, not connections: one client's many connections share its places).
 *
 * A token is HMAC-SHA256(box key, PROVIDER NUL CONSUMER, where the installed consumer came from,
 * the rotation record's generation and how many times the pair was rotated: consumerToken): the same at every start until the admin
 * rotates it (token-rotation.ts), so it is never
 * stored where a module could change it and then read back; the key (ROOT/var/lib/blueprint/
 * client-token-key, root's, 0600) never leaves root. A consumer's token opens only the provider it
 * was made for, and the provider's file lists only the consumers that declare it now: it is
 * written afresh at the provider's every start, at each consumer's start, and when a consumer is
 * removed (hooks.ts), so a removed consumer's line goes: under token-lock.ts's lock, the consumers
 * read under it too, so a start racing a removal cannot write the line back. It is written as module-token.ts writes
 * the admin's token into the folder the provider owns: never through a link (O_EXCL|O_NOFOLLOW
 * under a new name, renamed over), the folder's owner, mode 0440. Each write also makes the
 * consumers' copies hold their tokens, in place (token-copies.ts: a running consumer's mounted
 * file, a copy of the admin's token from before the provider took these, a rotated token).
 */

const KEY_FILE = 'client-token-key';
const KEY_BYTES = 32;

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

function badKey(file: string): VerificationError {
  return new VerificationError(
    `${file} is not blueprint's key for consumer tokens (a ${KEY_BYTES}-byte file of root's, mode 0600)`,
    'bad-client-key',
    `Look at who changed ${file}; remove it (blueprint makes a new one; start the modules that use others again).`,
  );
}

/** The box's key for consumer tokens, made once (two blueprint processes at once agree on one). */
async function boxKey(root: string): Promise<Buffer> {
  const dir = layout(root).stateDir;
  const file = path.join(dir, KEY_FILE);
  const read = async () => {
    const r = await readBoundedFile(file, KEY_BYTES, {
      accept: (st) => st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o077) === 0,
    });
    if (r.ok && r.bytes.length === KEY_BYTES) return r.bytes;
    if (!r.ok && r.why === 'open' && r.error.code === 'ENOENT') return undefined;
    throw badKey(file);
  };
  const have = await read();
  if (have) return have;
  // The box's own state folder, root's: links on the way to it are the admin's layout.
  const fd = await open(dir, O_RDONLY | O_DIRECTORY);
  try {
    const tmp = `.${KEY_FILE}.${randomBytes(8).toString('hex')}.tmp`;
    const fh = await open(inDir(fd, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(randomBytes(KEY_BYTES));
      await fh.sync();
    } finally {
      await fh.close();
    }
    // link() makes the name only when there is none: the key is whole, and the first one stays.
    await link(inDir(fd, tmp), inDir(fd, KEY_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await unlink(inDir(fd, tmp));
  } finally {
    await fd.close();
  }
  return (await read()) ?? Promise.reject(badKey(file));
}

/**
 * The token `consumer` sends to `provider` (43 characters, base64url). Also made of where the
 * installed `consumer` came from (its origin and signer, as data-owner.ts binds its data folder):
 * the key is kept for good, so a name alone would give a package of that name from elsewhere,
 * installed later, the token the first one read and may have kept (test/security/
 * client-token-origin). Its install (or upgrade) restarts it, and its start writes both the copy
 * and the provider's file, so the two agree.
 */
export async function consumerToken(root: string, provider: string, consumer: string): Promise<string> {
  // The record's generation and the pair's count of rotations (token-generations.ts): a record
  // removed, lost or put back older gets a new generation, so no token from before a rotation returns.
  const { generation, count } = await generationOf(root, provider, consumer, () =>
    legacyTokensInUse(root, (p, c) => tokenWith(root, p, c, '', 0)),
  );
  return tokenWith(root, provider, consumer, generation, count);
}

/** The HMAC itself, for a record's `generation` and the pair's `count` of rotations. */
async function tokenWith(
  root: string,
  provider: string,
  consumer: string,
  generation: string,
  count: number,
): Promise<string> {
  const from = installedOwner(root, consumer);
  return createHmac('sha256', await boxKey(root))
    .update(
      `${provider}\0${consumer}${from ? `\0${from.origin}\0${from.signer}` : ''}${generation ? `\0generation ${generation}` : ''}${count ? `\0rotated ${count}` : ''}`,
    )
    .digest('base64url');
}

/**
 * Writes `provider`'s `client-tokens`: a line for each installed module that declares it in
 * `uses` now, and no other (none: the file is removed).
 */
export async function writeClientTokens(root: string, provider: string): Promise<void> {
  // Who uses it is read under the lock a removal's write takes too (token-lock.ts).
  await underTokenLock(root, () => writeClientTokensLocked(root, provider));
}

/** writeClientTokens, the caller holding the lock (a rotation, which changes the tokens under it). */
export async function writeClientTokensLocked(root: string, provider: string): Promise<void> {
  const consumers = await usersOf(root, provider);
  const tokens = await Promise.all(consumers.map((c) => consumerToken(root, provider, c)));
  const lines = consumers.map((c, i) => `${c} ${tokens[i]}\n`);
  // Not into a folder kept from a package of this name from elsewhere (data-owner.ts).
  claimModuleData(root, provider);
  const { dir } = await openDataDir(root, provider);
  try {
    if (lines.length === 0) await removeAt(dir, CLIENT_TOKENS_FILE);
    else {
      const st = await dir.stat();
      await writeFileAt(dir, CLIENT_TOKENS_FILE, lines.join(''), { mode: 0o440, owner: [st.uid, st.gid] });
    }
  } finally {
    await dir.close();
  }
  // A running consumer's mounted copy (of the admin's token from before, or a rotated one) holds its own.
  for (const [i, c] of consumers.entries()) await refreshCopy(root, c, provider, tokens[i]!);
}

/**
 * A consumer's start (wiring.ts shareWiring): the provider's file written with it, then its own
 * token handed to `write` (its copy), both under the lock, so a rotation cannot come between and
 * leave the copy with a token the file no longer has (test/security/client-token-rotate-race).
 * The provider, already started, reads the file again at the consumer's first request.
 */
export async function issueToken(
  root: string,
  provider: string,
  consumer: string,
  write: (token: string) => Promise<void>,
): Promise<void> {
  await underTokenLock(root, async () => {
    await writeClientTokensLocked(root, provider);
    await write(`${await consumerToken(root, provider, consumer)}\n`);
  });
}

/**
 * A consumer removed (its registration gone; bpkg remove's hook): each provider it used that takes
 * a token per consumer has its file written again without it, whether or not the provider runs (a
 * running kit stops taking the token within a second). A failure is warned about, not thrown: the
 * package is gone either way, and the provider's next start writes the file again.
 */
export async function dropConsumer(
  root: string,
  uses: string[],
  warn: (line: string) => void,
): Promise<void> {
  for (const u of uses) {
    const provider = /^[a-z0-9][a-z0-9-]*/.exec(u.trim())?.[0];
    const reg = provider ? await findRegistration(root, provider) : undefined;
    if (!reg?.spec.socket?.clientTokens || !reg.spec.data) continue;
    await writeClientTokens(root, reg.name).catch((err: Error) =>
      warn(`${reg.name}: the tokens of the modules that use it were not written again: ${err.message}`),
    );
  }
}
