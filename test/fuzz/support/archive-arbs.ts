import path from 'node:path';
import fc from 'fast-check';
import type { RawEntry } from './tar.js';

/**
 * Generators of hostile package archives. Names come from a small alphabet (so that links can
 * refer to what exists) marked `fzq` where a stray file outside the destination must be noticed.
 */
const NAMES = ['a', 'b', 'd', 'up', 'l', 'fzq', 'fzq-x'];
const ODD = [
  '.',
  '',
  '..',
  '%2e%2e',
  '%2E%2e',
  '.%2e',
  '..%2f..',
  '..\\..',
  'a\\b',
  'a\0b',
  '\0',
  '...',
  ' ..',
  '.. ',
  '\u2025',
  'payload',
  'manifest.json',
  '/',
];
export const segment = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 3, arbitrary: fc.constant('..') },
  { weight: 2, arbitrary: fc.constantFrom(...ODD) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const PREFIXES = [
  'payload/',
  'payload/',
  'payload/',
  '',
  '/',
  './',
  './payload/',
  '../',
  'payload//',
  '/payload/',
];
export const entryPath = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(segment, { minLength: 0, maxLength: 5 }))
  .map(([p, s]) => p + s.join('/'));

export const linkTarget = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/')),
  fc.constantFrom('/', '/etc', '/tmp', '/proc/self/root', '.', '..', '../..', '../../..'),
  fc.integer({ min: 1, max: 70 }).map((n) => Array(n).fill('..').join('/')),
);

// '0' file, '1' hard link, '2' symlink, '3'/'4' devices, '5' dir, '6' FIFO, '7' contiguous, '\0' old
// file; 'x'/'g' PAX, 'L'/'K' GNU long names, and garbage.
const TYPES = fc.oneof(
  { weight: 5, arbitrary: fc.constant('0') },
  { weight: 3, arbitrary: fc.constant('5') },
  { weight: 5, arbitrary: fc.constant('2') },
  { weight: 3, arbitrary: fc.constantFrom('1', '3', '4', '6', '7', '\0', 'x', 'g', 'L', 'K', 'V', 'S') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
);

const size = fc.oneof(
  fc.nat({ max: 4096 }),
  fc.constantFrom(8 ** 11 - 1, 2 ** 33, Number.MAX_SAFE_INTEGER),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n }),
);

export const hostileEntry: fc.Arbitrary<RawEntry> = fc
  .record(
    {
      path: entryPath,
      type: TYPES,
      data: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      linkpath: linkTarget,
      mode: fc.oneof(
        fc.constantFrom(0o644, 0o755, 0o4755, 0o2755, 0o1777, 0o777),
        fc.nat({ max: 0o7777777 }),
      ),
      declaredSize: size,
      longNames: fc.constantFrom('pax' as const, 'gnu' as const),
      pax: fc.dictionary(
        fc.constantFrom('path', 'linkpath', 'size', 'uid', 'mode', 'SCHILY.xattr.user.x'),
        fc.oneof(entryPath, linkTarget, fc.string({ maxLength: 20 })),
        { maxKeys: 2 },
      ),
      patch: fc.array(
        fc.tuple(fc.nat({ max: 511 }), fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 })),
        { maxLength: 3 },
      ),
      fixChecksum: fc.boolean(),
    },
    { requiredKeys: ['path', 'type'] },
  )
  .map((e) => e as RawEntry);

export const manifestEntry: RawEntry = {
  path: 'manifest.json',
  type: '0',
  data: Buffer.from('{"name":"fz","version":"1.0.0","arch":"all","summary":"fuzz"}'),
};

const other = Buffer.from('{"name":"other","version":"6.6.6","arch":"all","summary":"the other manifest"}');
/**
 * A second manifest.json spelt so that one reader may take it and the other not: `./`, `.//`,
 * a PAX or GNU name, a directory or a link of that name (readManifestBytes and extractPackage
 * must never accept two different manifests from one file).
 */
export const manifestTricks: fc.Arbitrary<RawEntry[]> = fc.array(
  fc.constantFrom<RawEntry>(
    { path: './manifest.json', type: '0', data: other },
    { path: './/manifest.json', type: '0', data: other },
    { path: '././manifest.json', type: '0', data: other },
    { path: 'payload/x', type: '0', data: other, pax: { path: 'manifest.json' } },
    { path: 'payload/x', type: '0', data: other, pax: { path: './manifest.json' } },
    { path: `${'./'.repeat(60)}manifest.json`, type: '0', data: other, longNames: 'gnu' },
    { path: 'manifest.json/', type: '5' },
    { path: 'manifest.json', type: '2', linkpath: 'payload/m' },
    { path: 'manifest.json', type: '7', data: other },
    { path: 'manifest.json', type: '0', data: other, declaredSize: 5 },
    { path: 'payload/m', type: '0', data: other },
  ),
  { minLength: 1, maxLength: 3 },
);

/**
 * A sequence of directories, files and links where each link's target is spelt through what was
 * made before it (`../x/up/../..`): the shape of a symlink chain that reads as inside but is not.
 */
export const linkProgram = fc
  .array(
    fc.record({
      // Hard links are refused outright: rare, so that most programs get to be judged as a whole.
      kind: fc.oneof(
        { weight: 20, arbitrary: fc.constantFrom('dir', 'dir', 'link', 'link', 'link', 'file') },
        { weight: 1, arbitrary: fc.constant('hard') },
      ),
      parent: fc.nat(),
      name: fc.constantFrom(...NAMES),
      target: fc.array(
        fc.oneof(
          { weight: 2, arbitrary: fc.constant('..') },
          { weight: 3, arbitrary: fc.nat().map((ref) => ({ ref })) },
          { weight: 1, arbitrary: fc.constantFrom(...NAMES) },
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
    }),
    { minLength: 1, maxLength: 16 },
  )
  .map((steps) => {
    const made = ['payload'];
    const dirs = ['payload'];
    const entries: RawEntry[] = [{ path: 'payload', type: '5' }];
    steps.forEach((s, i) => {
      // Mostly inside real folders (an entry under a link is refused at once, which teaches little).
      const parents = s.parent % 8 === 0 ? made : dirs;
      const parent = parents[s.parent % parents.length]!;
      const p = `${parent}/${s.name}${i}`;
      made.push(p);
      if (s.kind === 'dir') dirs.push(p);
      const from = path.posix.dirname(p);
      const target = s.target
        .map((t) =>
          typeof t === 'string' ? t : path.posix.relative(from, made[t.ref % made.length]!) || '.',
        )
        .join('/');
      if (s.kind === 'dir') entries.push({ path: p, type: '5' });
      else if (s.kind === 'file') entries.push({ path: p, type: '0', data: Buffer.from('fzq\n') });
      else if (s.kind === 'hard')
        entries.push({ path: p, type: '1', linkpath: made[s.parent % made.length]! });
      else entries.push({ path: p, type: '2', linkpath: target });
    });
    return entries;
  });

/**
 * Finding 1's shape at any depth up to 60: `d0/.../dN/up -> ../..` (reads as payload/ itself),
 * then `esc -> <path to up>/../..` (reads as inside, leads outside), then a file written through it.
 */
export const deepChain = fc
  .record({
    depth: fc.integer({ min: 1, max: 60 }),
    upExtra: fc.integer({ min: -1, max: 1 }),
    escAt: fc.nat({ max: 60 }),
    ups: fc.integer({ min: 0, max: 64 }),
    tail: fc.constantFrom('', 'etc', 'fzq', 'd0'),
    dirs: fc.boolean(),
    through: fc.boolean(),
  })
  .map(({ depth, upExtra, escAt, ups, tail, dirs, through }) => {
    const chain = Array.from({ length: depth }, (_, i) => `d${i}`);
    const entries: RawEntry[] = [];
    if (dirs)
      for (let i = 0; i <= depth; i++)
        entries.push({ path: ['payload', ...chain.slice(0, i)].join('/'), type: '5' });
    const upPath = ['payload', ...chain, 'up'].join('/');
    entries.push({
      path: upPath,
      type: '2',
      linkpath: Array(Math.max(1, depth + upExtra))
        .fill('..')
        .join('/'),
    });
    const escDir = ['payload', ...chain.slice(0, escAt % (depth + 1))].join('/');
    const climb = Array(ups).fill('..');
    const target = [path.posix.relative(escDir, upPath), ...climb, ...(tail ? [tail] : [])].join('/');
    entries.push({ path: `${escDir}/esc`, type: '2', linkpath: target });
    if (through) entries.push({ path: `${escDir}/esc/fzq-through`, type: '0', data: Buffer.from('x') });
    return entries;
  });

/** Small edits of a seed archive: drop, repeat or reorder entries, retype them, bend their paths. */
export function mutated(seeds: RawEntry[][]): fc.Arbitrary<RawEntry[]> {
  const edit = fc.record({
    op: fc.constantFrom('drop', 'dup', 'swap', 'type', 'path', 'link', 'entry'),
    i: fc.nat(),
    j: fc.nat(),
    seg: segment,
    type: TYPES,
    entry: hostileEntry,
  });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { maxLength: 4 })).map(([seed, edits]) => {
    const out = seed.map((e) => ({ ...e }));
    for (const e of edits) {
      if (out.length === 0) break;
      const i = e.i % out.length;
      const j = e.j % out.length;
      const at = out[i]!;
      if (e.op === 'drop') out.splice(i, 1);
      else if (e.op === 'dup') out.splice(j, 0, { ...at });
      else if (e.op === 'swap') [out[i], out[j]] = [out[j]!, at];
      else if (e.op === 'type') at.type = e.type;
      else if (e.op === 'path') at.path = `${at.path}/${e.seg}`;
      else if (e.op === 'link') at.linkpath = `${e.seg}/${at.linkpath ?? ''}`;
      else out.splice(j, 0, e.entry);
    }
    return out;
  });
}

export interface ArchiveCase {
  entries: RawEntry[];
  manifest: boolean;
  gzip: boolean;
  /** Keep only this many bytes (a truncated download). */
  cut?: number;
}
