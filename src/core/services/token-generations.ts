import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { VerificationError } from '../errors.js';
import { layout } from '../system/paths.js';
import { readBoundedFile } from '../system/read-bounded.js';
import { inDir, removeDeadTemps, tempName } from '../system/safe-write.js';

/**
 * How many times each consumer's token for each provider was rotated
 * (`blueprint service rotate-tokens`): the count is in the token's HMAC (client-tokens.ts consumerToken), so a rotation
 * makes a new token the old one cannot be turned into, and the token stays computed, never stored
 * where a module could change it. Kept beside the box key, root's alone (0600), as JSON
 * `{"format":2,"generation":HEX,"rotated":{"PROVIDER":{"CONSUMER":N}}}`; a pair never rotated is 0.
 * Changed only under token-lock.ts's lock (token-rotation.ts), written whole under a new name
 * (O_EXCL|O_NOFOLLOW), synced and renamed over.
 *
 * The generation, 32 random bytes made with the record, is in every token too: a record removed
 * or lost (its error's hint once said to remove it; a restore that left it out) is made again with
 * a new generation, so every token changes and none from before a rotation comes back (counts read
 * as 0 under the old generation gave back exactly the tokens the rotations replaced:
 * test/security/client-token-counts-lost). A record that is there but not whole is refused, never
 * replaced: the admin looks at it first, and removing it is then safe. It must be in this one file,
 * written in one rename with the counts: kept apart, the counts alone could go missing.
 *
 * A record from before the generation (the counts alone, `{"PROVIDER":{"CONSUMER":N}}`) is read
 * with none, so the tokens it gave stay, and kept in that shape by a rotation; once removed it is
 * made again with a generation.
 *
 * Beside it, the mark (`client-token-seen`, root's, 0600: `{"generation":HEX,"rotations":N}`) of
 * the latest record this box has used: its generation and its count of rotations in all (counts
 * only go up). A record put back from an older backup (after the admin removed a damaged one, as
 * its hint says, or restored without the newer mark) has fewer rotations or another generation
 * than the mark: its tokens are ones the box has replaced, leaked ones maybe, so a new generation
 * is made, as for a removed record (test/security/client-token-record-restored). The mark is
 * written after the record, so a write cut between them leaves a record ahead of its mark (read,
 * the mark brought up to it), never behind. A record without a mark (from before it) is taken as
 * it is. A restore of the whole state folder brings back its mark too: rotate after one.
 *
 * No record and no mark: a new box, one that lost both, or one from before the generation that
 * never rotated (it had no record). For the last, a new generation would change every token a
 * running consumer holds (one that reads it once: 401 until restarted), so where consumers' copies
 * (root's own run folder) exist and every one holds the token of no generation and no rotation,
 * that box never rotated since they were written (a rotation rewrites them): those pairs keep their
 * token of no generation (`legacy` in the record, token-legacy.ts), every other pair (a consumer or
 * provider not installed then) gets the new generation's. A copy holding anything else, or none at
 * all, gets a new generation for every pair.
 */

const FILE = 'client-token-generations';
const SEEN = 'client-token-seen';
const MAX_BYTES = 1 << 20;
type Generations = Record<string, Record<string, number>>;
/** The record: the generation ('' in a record from before it) and the counts. */
export interface TokenRecord {
  generation: string;
  rotated: Generations;
  /**
   * Pairs (provider: consumers) of a box from before the generation that keep their token of no
   * generation (token-legacy.ts): those whose copies showed them never rotated when the record was
   * made; a rotation takes the pair off. Every other pair's token has the generation.
   */
  legacy?: Record<string, string[]>;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

function badFile(file: string): VerificationError {
  // The mark removed alone would let the record beside it be taken as it is, an older one too.
  const which = path.basename(file) === SEEN ? `${file} and ${FILE} beside it` : file;
  return new VerificationError(
    `${file} is not blueprint's record of rotated consumer tokens (JSON, root's, mode 0600)`,
    'bad-client-key',
    `Look at who changed ${file}; remove ${which} (blueprint makes a new one, and every consumer gets a new token: start the modules that use others again).`,
  );
}

const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
const isCounts = (g: unknown): g is Generations =>
  typeof g === 'object' &&
  g !== null &&
  !Array.isArray(g) &&
  Object.values(g).every(
    (m) => typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every(isCount),
  );

/** A root-only JSON file of the state folder as parsed: absent (undefined); refused when not root's alone or not JSON. */
async function readRootJson(file: string, maxBytes: number): Promise<{ parsed: unknown } | undefined> {
  const r = await readBoundedFile(file, maxBytes, {
    accept: (st) => st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o077) === 0,
  });
  if (!r.ok && r.why === 'open' && r.error.code === 'ENOENT') return undefined;
  if (!r.ok) throw badFile(file);
  try {
    return { parsed: JSON.parse(r.bytes.toString('utf8')) as unknown };
  } catch {
    throw badFile(file);
  }
}

/** The record as read: absent (undefined), or refused when not whole and root-only. */
async function readRecordFile(file: string): Promise<TokenRecord | undefined> {
  const read = await readRootJson(file, MAX_BYTES);
  if (!read) return undefined;
  const { parsed } = read;
  if (typeof parsed === 'object' && parsed !== null && (parsed as { format?: unknown }).format === 2) {
    const { generation, rotated, legacy, ...rest } = parsed as {
      generation?: unknown;
      rotated?: unknown;
      legacy?: unknown;
    };
    if (
      Object.keys(rest).length !== 1 ||
      typeof generation !== 'string' ||
      !/^[0-9a-f]{64}$/.test(generation) ||
      !isCounts(rotated) ||
      !(legacy === undefined || isPairs(legacy))
    )
      throw badFile(file);
    return { generation, rotated, ...(legacy ? { legacy } : {}) };
  }
  // From before the generation: its tokens stay as they were.
  if (!isCounts(parsed)) throw badFile(file);
  return { generation: '', rotated: parsed };
}

const isPairs = (g: unknown): g is Record<string, string[]> =>
  typeof g === 'object' &&
  g !== null &&
  !Array.isArray(g) &&
  Object.values(g).every((m) => Array.isArray(m) && m.every((c) => typeof c === 'string'));

const text = (r: TokenRecord) =>
  `${JSON.stringify(
    r.generation
      ? { format: 2, generation: r.generation, rotated: r.rotated, ...(r.legacy ? { legacy: r.legacy } : {}) }
      : r.rotated,
  )}\n`;

/**
 * Writes `body` whole under a new name in the state folder (root's: links on the way to it are
 * the admin's layout), then `place`s it at `name`.
 */
async function writeState(
  root: string,
  name: string,
  body: string,
  place: (from: string, to: string) => Promise<void>,
): Promise<void> {
  const dir = await open(layout(root).stateDir, O_RDONLY | O_DIRECTORY);
  try {
    // The writer's PID in the name: a killed rotation's is removed at the next write.
    await removeDeadTemps(dir, name);
    const tmp = inDir(dir, tempName(name));
    try {
      const fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await place(tmp, inDir(dir, name));
    } finally {
      await unlink(tmp).catch(() => {});
    }
    await dir.sync();
  } finally {
    await dir.close();
  }
}

const writeRecord = (root: string, record: TokenRecord, place: (from: string, to: string) => Promise<void>) =>
  writeState(root, FILE, text(record), place);

/** Rotations in all: counts only go up, so an older record has fewer (or another generation). */
const total = (r: TokenRecord) =>
  Object.values(r.rotated).reduce((n, m) => n + Object.values(m).reduce((a, b) => a + b, 0), 0);

/** The mark of the latest record used (absent: undefined); refused when not whole and root-only. */
async function readSeen(file: string): Promise<{ generation: string; rotations: number } | undefined> {
  const read = await readRootJson(file, 4096);
  if (!read) return undefined;
  const { parsed } = read;
  const { generation, rotations, ...rest } = (parsed ?? {}) as { generation?: unknown; rotations?: unknown };
  if (
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    Object.keys(rest).length !== 0 ||
    typeof generation !== 'string' ||
    !/^([0-9a-f]{64})?$/.test(generation) ||
    !isCount(rotations)
  )
    throw badFile(file);
  return { generation, rotations: rotations as number };
}

const mark = (root: string, r: TokenRecord) =>
  writeState(root, SEEN, `${JSON.stringify({ generation: r.generation, rotations: total(r) })}\n`, rename);

/**
 * The record; one with a new generation when there is none or it is older than the mark (link()
 * makes the name only where there is none, so two processes at once agree on the first one's).
 * `legacy`: whether the consumers' copies hold the tokens of a box that never rotated
 * (token-legacy.ts), asked only where there is neither record nor mark.
 */
export function readRecord(root: string, legacy?: Legacy): Promise<TokenRecord> {
  return inLine(root, () => readRecordNow(root, legacy));
}

const lines = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after this process's earlier readings and changes of `root`'s record. The callers
 * hold token-lock.ts's lock (other processes wait), but one writer makes every consumer's token at
 * once: each reading of a record put back made its own new generation, renamed over the others', so
 * consumers got tokens of different generations, changed again at the next write.
 */
function inLine<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const key = layout(root).stateDir;
  const mine = (lines.get(key) ?? Promise.resolve()).then(fn);
  const tail = mine.catch(() => {});
  lines.set(key, tail);
  void tail.then(() => {
    if (lines.get(key) === tail) lines.delete(key);
  });
  return mine;
}

/**
 * The pairs whose consumers' copies hold their token of no generation and no rotation, or
 * undefined: not a box from before the generation that never rotated (token-legacy.ts).
 */
type Legacy = () => Promise<Record<string, string[]> | undefined>;

async function readRecordNow(root: string, legacy?: Legacy): Promise<TokenRecord> {
  const { stateDir } = layout(root);
  const file = path.join(stateDir, FILE);
  const have = await readRecordFile(file);
  const seen = await readSeen(path.join(stateDir, SEEN));
  if (have && seen && have.generation === seen.generation && total(have) >= seen.rotations) {
    if (total(have) > seen.rotations) await mark(root, have); // a rotation's mark cut short
    return have;
  }
  if (have && !seen) {
    await mark(root, have); // a record from before the mark
    return have;
  }
  // A box from before the generation keeps the tokens its copies showed never rotated, those pairs
  // alone: a pair not looked at (a consumer or provider not installed now) gets the generation, so
  // one rotated under a lost record and installed again later never gets its old token back.
  const kept = !have && !seen ? await legacy?.() : undefined;
  const fresh: TokenRecord = {
    generation: randomBytes(32).toString('hex'),
    rotated: {},
    ...(kept ? { legacy: kept } : {}),
  };
  // An older record is replaced; none is made only where there still is none.
  await writeRecord(
    root,
    fresh,
    have
      ? rename
      : (from, to) =>
          link(from, to).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          }),
  );
  const now = await readRecordFile(file);
  if (!now) throw badFile(file);
  await mark(root, now);
  return now;
}

/** The counts (made with a new generation when there is no record). */
export async function readGenerations(root: string): Promise<Generations> {
  return (await readRecord(root)).rotated;
}

/** `consumer`'s count for `provider` (0: never rotated) and the record's generation. */
export async function generationOf(
  root: string,
  provider: string,
  consumer: string,
  legacy?: Legacy,
): Promise<{ generation: string; count: number }> {
  const r = await readRecord(root, legacy);
  const n = Object.hasOwn(r.rotated, provider) ? r.rotated[provider] : undefined;
  const count = n && Object.hasOwn(n, consumer) ? (n[consumer] as number) : 0;
  const kept =
    count === 0 && r.legacy && Object.hasOwn(r.legacy, provider) && r.legacy[provider]!.includes(consumer);
  return { generation: kept ? '' : r.generation, count };
}

/** Adds one to each pair's count. The caller holds token-lock.ts's lock. */
export function bumpGenerations(root: string, provider: string, consumers: string[]): Promise<void> {
  return inLine(root, () => bumpNow(root, provider, consumers));
}

async function bumpNow(root: string, provider: string, consumers: string[]): Promise<void> {
  const { generation, rotated: all, legacy } = await readRecordNow(root);
  const mine: Record<string, number> = { ...(Object.hasOwn(all, provider) ? all[provider] : {}) };
  for (const c of consumers) mine[c] = (Object.hasOwn(mine, c) ? (mine[c] as number) : 0) + 1;
  const next: TokenRecord = { generation, rotated: { ...all, [provider]: mine } };
  // A rotated pair's token has the generation from now (its old one of none may have leaked).
  if (legacy)
    next.legacy = {
      ...legacy,
      ...(Object.hasOwn(legacy, provider)
        ? { [provider]: legacy[provider]!.filter((c) => !consumers.includes(c)) }
        : {}),
    };
  await writeRecord(root, next, rename);
  await mark(root, next); // after the record: cut short between them, the record is ahead, never behind
}
