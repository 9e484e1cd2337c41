import { isIsoDate, isSemver } from './format-checks.js';
import { dependencyHolds, isCount, memo, PLAIN_REPO_PATH } from './index-fast.js';

/**
 * A first `bpkg update` judges a new index in one pass over its text (issue 20): for an index as
 * `repo build` and JSON.stringify write it (no whitespace, every key in the schema's order, every
 * string printable ASCII without escapes), one sticky regular expression an entry makes the JSON
 * grammar's and the schema's shape checks at once, and semver judges each distinct version and
 * range once, as fastIndex does (index-fast.ts). No JSON.parse: no 10,000 objects, no 2.6 MB
 * string of UTF-16, no garbage to collect; what update needs of the index is its head and its
 * search table, and the verified cache holds the bytes as they are.
 *
 * It only ever accepts: anything else (whitespace, escapes, non-ASCII text, keys in another order
 * or missing, a failed check) gives undefined, and the caller parses the index as before
 * (parseIndex: fastIndex, else zod, which gives the verdict and the message). What it accepts,
 * fastIndex accepts with `asParsed` (the bytes are exactly the index), and what it returns is
 * what that index says: test/pkg/index-scan.test.ts holds the two together on valid, mutated and
 * malformed indexes.
 */
export interface ScannedIndex {
  repository: string;
  version: number;
  generated: string;
  expires: string;
  /** Each entry's name, version and summary, in the index's order. */
  names: string[];
  versions: string[];
  summaries: string[];
}

/**
 * A JSON string's characters that stand for themselves: printable ASCII without `"` and `\`. The
 * value is then the text between the quotes, and holds no control character (hasControl).
 */
const S = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]';
/** A JSON number that is a non-negative integer of at most 16 digits (isCount judges the rest). */
const COUNT = '(0|[1-9][0-9]{0,15})';

const HEAD = new RegExp(
  `\\{"format":1,"repository":"(${S}{1,100})","version":${COUNT},"generated":"(${S}*)","expires":"(${S}*)","packages":\\[`,
  'y',
);

/**
 * A path as `repo build` writes it (index-fast.ts's PLAIN_REPO_PATH, which isRepoPath accepts),
 * of 1 to 1,024 characters (the lookahead): any other path, valid or not, is left to the parse.
 */
const PATH = `(?=[^"]{1,1024}")${PLAIN_REPO_PATH.source.slice(1, -1)}`;

const ENTRY = new RegExp(
  `\\{"name":"([a-z0-9][a-z0-9-]{0,62})","version":"(${S}+)","arch":"(?:x86_64|aarch64|all)","summary":"(${S}{0,200})","depends":\\[((?:"${S}*"(?:,"${S}*")*)?)\\],"size":${COUNT},"sha256":"[0-9a-f]{64}","path":"${PATH}"\\}(,|\\])`,
  'y',
);

/** The index's end: the object closed, then only JSON's whitespace. */
const END = /\}[ \t\n\r]*$/y;

/** The index judged in one pass (see above), or undefined: then parse it as before. */
export function scanIndex(bytes: Uint8Array): ScannedIndex | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Every byte must be matched by an ASCII class below: latin1 reads ASCII as UTF-8 does.
  const text = buf.toString('latin1');
  HEAD.lastIndex = 0;
  const h = HEAD.exec(text);
  if (!h) return undefined;
  const [, repository, versionText, generated, expires] = h as unknown as string[];
  const version = Number(versionText);
  if (!isCount(version) || !isIsoDate(generated!) || !isIsoDate(expires!)) return undefined;
  const once = memo();
  // Each distinct version judged once (fastIndex's versionHolds, without a key made per entry).
  const semver = new Map<string, boolean>();
  const names: string[] = [];
  const versions: string[] = [];
  const summaries: string[] = [];
  ENTRY.lastIndex = HEAD.lastIndex;
  for (;;) {
    const m = ENTRY.exec(text);
    if (!m) return undefined;
    // Indexed, not destructured: an iterator a match was most of the loop's cost, run cold.
    const v = m[2]!;
    const depends = m[4]!;
    const size = m[5]!;
    let valid = semver.get(v);
    if (valid === undefined) {
      valid = isSemver(v);
      semver.set(v, valid);
    }
    if (
      !valid ||
      // Up to 15 digits is always a safe integer; 16 may not be (isCount, as fastIndex judges it).
      (size.length > 15 && !isCount(Number(size))) ||
      (depends !== '' &&
        !depends
          .slice(1, -1)
          .split('","')
          .every((d) => dependencyHolds(d, once)))
    )
      return undefined;
    names.push(m[1]!);
    versions.push(v);
    summaries.push(m[3]!);
    if (m[6] === ']') break;
  }
  END.lastIndex = ENTRY.lastIndex;
  if (!END.test(text)) return undefined;
  return {
    repository: repository!,
    version,
    generated: generated!,
    expires: expires!,
    names,
    versions,
    summaries,
  };
}
