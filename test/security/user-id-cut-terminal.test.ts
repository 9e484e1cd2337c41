/**
 * `bpkg key add`'s question (and the one-line lists) cut each user ID of a key to 74 (60) columns
 * (src/present/user-ids.ts, 9224b3c8). A user ID is the key maker's text. Guards (REVIEW12, found
 * sound): the cut is made on the escaped text, so no escape sequence, C1 control or bidi override
 * reaches the terminal whole or left open, wherever the cut falls; it never splits a surrogate pair;
 * and the line fits its columns as a terminal counts them (wide characters, combining marks, emoji).
 */
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { cutUserId, userIdLines, userIdsInline } from '../../src/present/user-ids.js';

const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const hostile = [
  `Alice ${'\x1b]0;owned\x07'.repeat(30)}`,
  `${'a'.repeat(72)}\x1b[2J\x1b[H`,
  `${'a'.repeat(73)}\u202eSTOP\u202c after`,
  `${'b'.repeat(70)}\u2066\u2067 open isolates`,
  `${'c'.repeat(73)}\u009b31m red`,
  '😀'.repeat(80),
  `${'x'.repeat(73)}😀😀`,
  '鏡'.repeat(200),
  `e${'\u0301'.repeat(5000)}`,
  '👩‍👩‍👧‍👦'.repeat(40),
  `${'z'.repeat(60)}\n\rerror: fake`,
];

describe('a user ID cut for the terminal', () => {
  it.each(hostile.map((id, i) => [i, id] as const))(
    'hostile ID %i: escaped, whole characters, fits',
    (_, id) => {
      for (const [cut, max] of [
        [cutUserId(id), 75],
        [cutUserId(id, 60), 61],
      ] as const) {
        expect(cut).not.toMatch(RAW_CONTROL);
        expect(cut).not.toMatch(LONE_SURROGATE);
        expect(stringWidth(cut)).toBeLessThanOrEqual(max);
      }
    },
  );

  it('lists and inline lists: five, each cut, then a count', () => {
    const lines = userIdLines(hostile);
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toBe('  and 6 more user IDs');
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    const inline = userIdsInline(hostile);
    expect(inline).not.toMatch(RAW_CONTROL);
    expect(inline).toMatch(/, and 6 more$/);
  });
});
