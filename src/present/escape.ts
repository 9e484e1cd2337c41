/**
 * Untrusted text on its way to a terminal. A package summary, a key's user ID, an index's error
 * message or a container's log line can carry escape sequences: cursor moves that rewrite what was
 * printed before (a trust prompt showing another fingerprint), window titles, or bidirectional
 * overrides that reorder a line. Everything the CLI prints and the TUI renders goes through here,
 * so such characters are shown as visible `\xNN` / `\u{NNNN}` text instead of being acted on.
 *
 * Deliberately dependency-free: the CLI's output functions, the TUI and tests all use it.
 */

/**
 * C0, DEL and C1 controls (`\p{Cc}`, which Unicode never changes, by their code points: a property
 * class makes V8 build the set from ICU's tables on every start, ~1 ms of `--json version`, issue 20;
 * test/security/escape-set.test.ts holds the two equal), the Arabic letter mark, LRM/RLM, the
 * line/paragraph separators, the bidi embeddings, overrides and isolates, and the Hangul fillers
 * (U+115F, U+1160, U+3164, U+FFA0): invisible, counted 0 columns by string-width (the console's
 * wrap) yet drawn as two blank columns by terminals, so a name of them overflowed its row and hid
 * itself (test/security/console-hangul-fillers). The soft hyphen (U+00AD, a format character as
 * the bidi controls) likewise: counted 0, drawn one column by tmux 3.3a (console-soft-hyphen).
 * The format characters tmux draws as nothing (U+180E, the zero width space U+200B, U+2060–2064,
 * U+206A–206F, the BOM U+FEFF, U+FFF9–FFFB) hide differences: `al<U+200B>ice` showed as `alice`
 * (console-invisible-format). So is every other format character (General_Category Cf, the
 * lead's decision: ZWNJ, the prepended concatenation marks U+0600–0605…), but ZWJ, which emoji
 * sequences (shown as their parts) and Indic conjuncts need; test/security/escape-set checks the
 * set against `\p{Cf}`, which this file may not use (a property class at start, test/perf/start-path).
 * The tag characters (U+E0001, U+E0020–U+E007F) draw as nothing at all: a user ID or a log line
 * could spell hidden words in them (test/security/console-tag-characters). They mean something
 * only in the three flags Unicode recommends (England, Scotland, Wales: 🏴, tags, U+E007F), which
 * the first alternative matches whole and `shown` keeps; a black flag with any other tags is
 * escaped as any text (no terminal draws it as more than 🏴, and its tags could be words).
 * Variation selectors draw as nothing too, and a run of them after one character carries any bytes
 * ("emoji smuggling", test/security/console-variation-selectors): one after its base is how ❤️, a
 * keycap or an ideograph's variant is written and stays; one after another selector, and one of
 * U+E0100–E01EF (the ideographic variation selectors) after anything but a CJK ideograph, are
 * escaped (each judged after it is matched, by looking back: a look-behind first would run at every
 * character of every text); so is one after a ZWJ, and the other characters that draw as nothing
 * after a letter (HIDDEN). One U+FE00–FE0F after each letter could still carry four bits a
 * letter: left, as text no one reads by eye.
 */
/**
 * Beyond C0 and C1: one class's ranges (`String.raw`). A range may span unassigned code points
 * (U+2065, U+E0002–E001F), escaped anyway: only the escaped class, asked after UNSAFE, uses it.
 */
const INVISIBLE = String.raw`\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb\uffa0\u{110bd}\u{110cd}\u{13430}-\u{1343f}\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0001}-\u{e007f}`;
const SELECTOR = String.raw`\ufe00-\ufe0f\u{e0100}-\u{e01ef}`;
/**
 * What draws as nothing after a letter, as a selector does, and is kept alone after one: the
 * selectors, the Mongolian free variation selectors, the combining grapheme joiner, the Khmer
 * inherent vowels (tmux 3.3a: 0 columns, REVIEW17). One after another of them or after a ZWJ is
 * escaped, and a ZWJ after a ZWJ: no text needs such a run (an emoji's longest is VS16 then ZWJ,
 * ❤️‍🔥), and it carries bytes unseen (`alice` + (U+FE0x ZWJ)×N, console-selector-joiner-smuggling).
 * UNSAFE's second and third alternatives, before the fourth, which leaves an FVS or a Khmer vowel
 * alone by a look-behind: in its class, each range slowed every scan (a 2 KB line of punctuation
 * 7 -> 13.5 µs); the look-behind runs only after a character outside ASSIGNED.
 */
/** The Mongolian FVS and Khmer vowels, which UNSAFE's fourth alternative leaves alone. */
const LONE = String.raw`\u180b-\u180d\u180f\u17b4\u17b5`;
const HIDDEN = `${SELECTOR}${LONE}\\u034f`;
const FLAGS = String.raw`\u{1f3f4}\u{e0067}\u{e0062}(?:\u{e0065}\u{e006e}\u{e0067}|\u{e0073}\u{e0063}\u{e0074}|\u{e0077}\u{e006c}\u{e0073})\u{e007f}`;
const IDEOGRAPH = String.raw`\u3400-\u9fff\uf900-\ufaff\u{20000}-\u{3ffff}`;
/**
 * Printable characters that are assigned in every Unicode version (an assigned code point is never
 * unassigned again): Latin, Cyrillic, the punctuation, arrows, box drawing, shapes and symbols
 * the console and CLI print, kana, the CJK ideographs, Hangul, ZWJ, the commonest emoji. Any other
 * character (UNSAFE's second alternative) is judged one at a time by `shown`; test/security/
 * escape-set's sweep of every code point would show one of these that is `\p{Cn}` kept raw.
 * Greek is not here: its gaps (U+0378…) split the class, which made every text's scan slower
 * (a 2 KB line of punctuation 6.5 -> 13 µs); a Greek letter costs a callback (CONSOLE11's report).
 */
const ASSIGNED = String.raw`\x20-\x7e\xa0-\xac\xae-\u0377\u0400-\u052f\u200d\u2010-\u2027\u2030-\u205e\u2190-\u23ff\u2500-\u27bf\u3041-\u3096\u3099-\u30ff\u4e00-\u9fff\uac00-\ud7a3\u{1f300}-\u{1f64f}`;
const UNSAFE = new RegExp(
  `${FLAGS}|[${HIDDEN}](?<=[${HIDDEN}\\u200d].)|\\u200d(?<=\\u200d.)|[^${ASSIGNED}${SELECTOR}](?<![${LONE}])|[\\u{e0100}-\\u{e01ef}](?<![${IDEOGRAPH}].)`,
  'gu',
);
/**
 * Unassigned code points (General_Category Cn): tmux draws them as nothing, so a run of them could
 * carry hidden words (test/security/console-unassigned). A property class, built on the first
 * character outside ASSIGNED: made at start, it cost every command ~1 ms (test/perf/start-path).
 * Judged by Node's ICU, whose Unicode is newer than tmux's (docs/tui.md).
 */
let unassigned: RegExp | undefined;

/**
 * Characters assigned after Unicode 14: tmux 3.3a sizes by glibc 2.36's wcwidth, Unicode 14, and
 * draws what that does not know as nothing, so `a🫨b` showed `ab` (test/security/console-newer-unicode).
 * None is in ASSIGNED (its scripts were whole in Unicode 14). Generated (do not edit): run
 * scripts/unicode/newer-than-terminal.mjs (Node's Unicode 17.0 less Python's unicodedata, 14.0.0);
 * console-newer-unicode checks it against a fresh run. Each letter is a base-26 digit, A and a 0:
 * upper case goes on, lower case ends a number; a range is its gap after the last, its length less one.
 */
const NEWER_UNICODE =
  'DGhahaBLcaExawaSgaEOeBcDubBvaKfbBPmaBHlcCVcaBRhdSqlBSQlecabafxBFThpRdbCcgDAfBzBGmzBMkDbLuCjBFzcMgDuBCvtBOmJpQwCfKsDmHXcajFZdKZtCfEOkCfLiBzLaeJCjhBXfajIzNJbaBiaKCoBCyBLntERhfKbDrBPwVnGAaeFvlDlaIiBmOpdBdcpiBdclegjkfihhbIcBkkaCSXqgIWglLCcXxNZuMOn';
/**
 * Always escaped when matched: invisible characters, selectors, CGJ and ZWJ (in a run), and the
 * characters newer than the terminal's Unicode (`shown` escapes the controls before it asks).
 * Made on the first character outside ASSIGNED, as `unassigned`: NEWER_UNICODE decoded at start
 * would be more of every command's start.
 */
let escaped: RegExp | undefined;
function escapedClass(): RegExp {
  let cls = '';
  let n = 0;
  let next = 0; // the code point after the last range
  let from = -1;
  for (const digit of NEWER_UNICODE) {
    n = n * 26 + (digit.charCodeAt(0) & 31) - 1;
    if (digit < 'a') continue;
    if (from < 0) from = next + n;
    else {
      next = from + n + 1;
      cls += `${String.fromCodePoint(from)}-${String.fromCodePoint(next - 1)}`;
      from = -1;
    }
    n = 0;
  }
  return new RegExp(`[${INVISIBLE}${HIDDEN}\\u200d${cls}]`, 'u');
}

function visible(c: string): string {
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/**
 * What UNSAFE's match shows as: a flag (its first alternative, the only match longer than one
 * surrogate pair) as it is; a control, invisible, unassigned or newer-than-the-terminal character,
 * or one of a run of HIDDEN, made visible; any other character outside ASSIGNED as it is.
 */
function shown(match: string): string {
  if (match.length > 2) return match;
  // Below U+00A0 UNSAFE matches only controls (a newline of escapeLine's: no regex test for it).
  if (match < '\xa0') return visible(match);
  escaped ??= escapedClass();
  // A string, not a literal: V8 checks a literal's pattern as it parses the script, at start.
  // biome-ignore lint/complexity/useRegexLiterals: see above
  unassigned ??= new RegExp('\\p{Cn}', 'u');
  return escaped.test(match) || unassigned.test(match) ? visible(match) : match;
}

/** One value on one line (a cell, a name, a user ID): every control character is made visible, newlines too. */
export function escapeLine(text: string): string {
  return text.replace(UNSAFE, shown);
}

/**
 * UNSAFE less newline and tab, and UNSAFE less C0 (with every variation selector: UNSAFE judges
 * each by what comes before it): what escapeText and escapeJson may change, or a character outside
 * ASSIGNED that `shown` judges. Asked first, so that plain text goes out as it is: UNSAFE matches
 * every newline, and the replace called its callback once a line (~1,400 times, ~2 ms of CPU, for
 * `bpkg search vision`'s answer; issue 20).
 */
const quickTest = (kept: string) => new RegExp(`[^${kept}${ASSIGNED}]|[\\u034f\\u200d]`, 'u');
const UNSAFE_IN_TEXT = quickTest('\\t\\n');
const UNSAFE_IN_JSON = quickTest('\\0-\\x1f');

/** A block of output lines: newlines and tabs stay, every other control character is made visible. */
export function escapeText(text: string): string {
  if (!UNSAFE_IN_TEXT.test(text)) return text;
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? c : shown(c)));
}

/**
 * An error's message or hint for the terminal: escaped as a block, and every further line that
 * starts at the margin indented, so that no line of it (it may quote a file's name or text, a
 * server's answer) can pass for an `error:` or `hint:` line of blueprint's own.
 */
export function errorBlock(text: string): string {
  return escapeText(text).replace(/\n(?=\S)/g, '\n  ');
}

/**
 * A JSON document for a terminal. JSON.stringify already writes C0 controls as `\u00NN`, but not
 * DEL, C1 (U+009B is a one-character CSI on many terminals) or the bidi controls; outside strings
 * JSON has no such characters, so rewriting them everywhere keeps the document valid and equal.
 */
export function escapeJson(json: string): string {
  if (!UNSAFE_IN_JSON.test(json)) return json;
  // A flag stays (as in shown); a tag character is two UTF-16 code units, each written `\uNNNN`.
  return json.replace(UNSAFE, (c) =>
    c.charCodeAt(0) < 0x20 || shown(c) === c
      ? c
      : c.replace(/[\s\S]/g, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}
