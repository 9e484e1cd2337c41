import { minVersion, validRange, valid as validSemver } from 'semver';
import { VerificationError } from '../errors.js';
import { oneLine } from '../system/one-line.js';
import { hasControl } from '../system/text.js';

/**
 * The index format's predicates without zod (format.ts builds its schemas from them): what
 * index-fast.ts checks a whole index with, so that a command parsing an index that passes them
 * never loads zod (375 KB, ~25 ms of an update's CPU).
 */

export { PACKAGE_NAME } from '../system/paths.js';

export const isSemver = (v: string): boolean => validSemver(v) === v;

const COMPARATOR = /^(>=|<=|=|>|<) *(\S+)$/;

/**
 * `name`, `name>=1.2.3`, or a range of comparators that must all hold, separated by commas:
 * `name>=1.0.0,<2.0.0`. Each version is a full semantic version.
 */
export const DEPENDENCY =
  /^[a-z0-9][a-z0-9-]{0,62} *((>=|<=|=|>|<) *\d+\.\d+\.\d+[0-9A-Za-z.+-]*( *, *(>=|<=|=|>|<) *\d+\.\d+\.\d+[0-9A-Za-z.+-]*)*)?$/;

export const comparatorsValid = (comparators: string[]): boolean =>
  comparators.every((c) => validSemver(COMPARATOR.exec(c)?.[2] ?? '') !== null);

export const rangeSatisfiable = (range: string): boolean =>
  validRange(range) !== null && minVersion(range) !== null;

export const SHA256 = /^[0-9a-f]{64}$/;

// Written out as ISO-8601 (what `repo build` writes): Date.parse alone skips stray characters.
export const isIsoDate = (v: string): boolean =>
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) &&
  !Number.isNaN(Date.parse(v));

/**
 * A path inside the repository, as an index entry names it: relative, with no `%` (rejected
 * outright rather than judged before decoding), `?`, `#`, backslash, or `.`/`..`/empty segments.
 */
export const isRepoPath = (p: string): boolean =>
  !hasControl(p) &&
  !/[%?#\\]/.test(p) &&
  p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');

/** What to do about a file that is not JSON, by the code it is refused with (as its schema's hints say). */
const NOT_JSON_HINTS: Record<string, string> = {
  'bad-manifest': 'Fix the manifest and rebuild the package.',
  'bad-index': 'The repository publisher must fix index.json.',
  'bad-rotation': 'The repository publisher must fix keys/rotation.json.',
};

export function parseJsonBytes(bytes: Uint8Array | string, what: string, code: string): unknown {
  try {
    // A view of the bytes, not a copy (Buffer.from(bytes) copies: 2.6 MB for an index, issue 20).
    return JSON.parse(
      typeof bytes === 'string'
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
  } catch (err) {
    // V8's message quotes the text (Node 24), line breaks and all: one line, or the file prints lines
    // of its own under `error:` (a forged `hint:`). Its other controls the front ends escape.
    throw new VerificationError(
      `${what} is not valid JSON: ${oneLine((err as Error).message)}`,
      code,
      NOT_JSON_HINTS[code],
    );
  }
}

/**
 * Splits `name>=1.0.0,<2.0.0` into the name, its comparators (`>=1.0.0`, `<2.0.0`) and the
 * semver range they make together (`>=1.0.0 <2.0.0`, or `*` for any version).
 */
export function parseDependency(dep: string): { name: string; comparators: string[]; range: string } {
  const m = /^([a-z0-9][a-z0-9-]*)\s*(.*)$/.exec(dep.trim());
  if (!m) return { name: dep, comparators: [], range: '*' };
  const comparators = m[2]!
    .split(',')
    .map((c) => c.replace(/\s+/g, ''))
    .filter((c) => c !== '');
  // `=1.0.0` is semver's exact `1.0.0`; the other operators mean the same in semver.
  const range = comparators.map((c) => (c.startsWith('=') ? c.slice(1) : c)).join(' ') || '*';
  return { name: m[1]!, comparators, range };
}
