import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { inDir } from '../system/safe-write.js';

/**
 * How many times each consumer's token for each provider was rotated
 * (`blueprint service rotate-tokens`): the count is in the token's HMAC (client-tokens.ts consumerToken), so a rotation
 * makes a new token the old one cannot be turned into, and the token stays computed, never stored
 * where a module could change it. Kept beside the box key, root's alone (0600), as JSON
 * `{"PROVIDER": {"CONSUMER": N}}`; a pair never rotated is 0 and has the token it always had.
 * Changed only under token-lock.ts's lock (token-rotation.ts), written whole under a new name
 * (O_EXCL|O_NOFOLLOW), synced and renamed over.
 */

const FILE = 'client-token-generations';
const MAX_BYTES = 1 << 20;
type Generations = Record<string, Record<string, number>>;

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

function badFile(file: string): VerificationError {
  return new VerificationError(
    `${file} is not blueprint's record of rotated consumer tokens (JSON, root's, mode 0600)`,
    'bad-client-key',
    `Look at who changed ${file}; remove it (the consumers' tokens go back to those before any rotation), then rotate again: blueprint service rotate-tokens PROVIDER.`,
  );
}

const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

/** The counts; none when the file is absent. A file of another user's, or readable by others, is refused. */
export async function readGenerations(root: string): Promise<Generations> {
  const file = path.join(layout(root).stateDir, FILE);
  const r = await readBoundedFile(file, MAX_BYTES, {
    accept: (st) => st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o077) === 0,
  });
  if (!r.ok && r.why === 'open' && r.error.code === 'ENOENT') return {};
  if (!r.ok) throw badFile(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.bytes.toString('utf8'));
  } catch {
    throw badFile(file);
  }
  const ok =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every(
      (m) => typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every(isCount),
    );
  if (!ok) throw badFile(file);
  return parsed as Generations;
}

/** `consumer`'s count for `provider` (0: never rotated). */
export async function generationOf(root: string, provider: string, consumer: string): Promise<number> {
  const n = (await readGenerations(root))[provider];
  return n && Object.hasOwn(n, consumer) ? (n[consumer] as number) : 0;
}

/** Adds one to each pair's count. The caller holds token-lock.ts's lock. */
export async function bumpGenerations(root: string, provider: string, consumers: string[]): Promise<void> {
  const all = await readGenerations(root);
  const mine: Record<string, number> = { ...(Object.hasOwn(all, provider) ? all[provider] : {}) };
  for (const c of consumers) mine[c] = (Object.hasOwn(mine, c) ? (mine[c] as number) : 0) + 1;
  const next = { ...all, [provider]: mine };
  // The box's own state folder, root's (the box key's): links on the way to it are the admin's layout.
  const dir = await open(layout(root).stateDir, O_RDONLY | O_DIRECTORY);
  try {
    const tmp = `.${FILE}.${randomBytes(8).toString('hex')}.tmp`;
    const fh = await open(inDir(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(next)}\n`);
      await fh.sync();
    } catch (err) {
      await unlink(inDir(dir, tmp)).catch(() => {});
      throw err;
    } finally {
      await fh.close();
    }
    await rename(inDir(dir, tmp), inDir(dir, FILE));
    await dir.sync();
  } finally {
    await dir.close();
  }
}
