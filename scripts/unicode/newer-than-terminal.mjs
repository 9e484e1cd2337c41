// Writes escape.ts's NEWER_UNICODE (src/present/escape.ts): the code points assigned in Node's
// Unicode (17.0, ICU 78) but not in the terminal's. tmux 3.3a on Debian 12 sizes characters with
// glibc 2.36's wcwidth, which knows Unicode 14.0, and draws a character it does not know as
// nothing: `a🫨b` shows `ab`, so a run of Unicode 15-17 characters carries hidden text
// (test/security/console-newer-unicode). Python 3.11's unicodedata is Unicode 14.0.0 (the version
// of glibc 2.36), Node 24's `\p{Assigned}` is 17.0.
// Run: node_modules/.bin/node scripts/unicode/newer-than-terminal.mjs
// (test/security/console-newer-unicode checks escape.ts's table against a fresh run).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TERMINAL_UNICODE = '14.0.0';
export const NODE_UNICODE = '17.0';
export const TARGET = path.resolve(import.meta.dirname, '../../src/present/escape.ts');

/** Python's unicodedata version, or undefined when there is no python3. */
export function pythonUnicode() {
  try {
    return execFileSync('python3', ['-c', 'import unicodedata; print(unicodedata.unidata_version)'])
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/**
 * [first, last] code point ranges that hold every code point assigned in Node's Unicode but not in
 * Python's, and nothing assigned in Python's: a range spans the unassigned code points between two
 * newer ones (escape.ts escapes those anyway, as \p{Cn}), which halves the table (110 ranges -> 67).
 */
export function newerRanges() {
  const have = pythonUnicode();
  if (have !== TERMINAL_UNICODE) throw new Error(`python3's unicodedata is ${have}, not ${TERMINAL_UNICODE}`);
  if (process.versions.unicode !== NODE_UNICODE)
    throw new Error(
      `node's Unicode is ${process.versions.unicode}, not ${NODE_UNICODE}: regenerate with care`,
    );
  const old = execFileSync(
    'python3',
    [
      '-c',
      "import unicodedata\nprint(''.join('01'[unicodedata.category(chr(c)) != 'Cn'] for c in range(0x110000)))",
    ],
    { maxBuffer: 1 << 22 },
  ).toString();
  const assigned = /\p{Assigned}/u;
  const ranges = [];
  let run; // the range being made: its first and last newer code point since the last one Python has
  for (let cp = 0; cp <= 0x110000; cp++) {
    if (cp === 0x110000 || old[cp] === '1') {
      if (run) ranges.push(run);
      run = undefined;
    } else if (assigned.test(String.fromCodePoint(cp))) {
      if (run) run[1] = cp;
      else run = [cp, cp];
    }
  }
  return ranges;
}

/**
 * The ranges as letters: each range's gap after the last one's end, then its length less one, each
 * number in base 26 with its last digit lower case (a-z) and any before it upper case (A-Z): 243
 * bytes, where a class of `\u{…}` escapes was over 1,000 (the start part's room: test/perf/start-path).
 */
export function encode(ranges) {
  const num = (n) => {
    let s = String.fromCharCode(97 + (n % 26));
    for (n = Math.floor(n / 26); n > 0; n = Math.floor(n / 26)) s = String.fromCharCode(65 + (n % 26)) + s;
    return s;
  };
  let text = '';
  let end = -1;
  for (const [a, b] of ranges) {
    text += num(a - end - 1) + num(b - a);
    end = b;
  }
  return text;
}

/** The ranges back from encode's letters (the tests' reference; escape.ts decodes its own way). */
export function decode(text) {
  const nums = [...text.matchAll(/[A-Z]*[a-z]/g)].map(([m]) =>
    [...m].reduce((n, ch) => n * 26 + (ch.toLowerCase().charCodeAt(0) - 97), 0),
  );
  const ranges = [];
  let end = -1;
  for (let i = 0; i < nums.length; i += 2) {
    const from = end + 1 + nums[i];
    end = from + nums[i + 1];
    ranges.push([from, end]);
  }
  return ranges;
}

/** The generated lines, as escape.ts holds them (as biome formats them). */
export const line = (ranges = newerRanges()) => `const NEWER_UNICODE =\n  '${encode(ranges)}';`;
export const LINE = /^const NEWER_UNICODE =\n {2}'([A-Za-z]*)';$/m;

/** The ranges escape.ts holds now (the tests' reference). */
export function rangesInEscape() {
  const found = readFileSync(TARGET, 'utf8').match(LINE);
  if (!found) throw new Error(`${TARGET} has no lines like ${LINE}`);
  return decode(found[1]);
}

/** The ranges as a regular expression class's text: `[${newerClass()}]` (the tests' reference). */
export const newerClass = (ranges = rangesInEscape()) =>
  ranges.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('');

// In escape.ts itself, not a module of its own: a start module costs its name and export table in
// the start part too (~170 bytes of test/perf/start-path's 67 KB, measured).
if (process.argv[1] === import.meta.filename) {
  const text = readFileSync(TARGET, 'utf8');
  if (!LINE.test(text)) throw new Error(`${TARGET} has no line like ${LINE}`);
  writeFileSync(TARGET, text.replace(LINE, line()));
}
