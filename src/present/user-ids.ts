/**
 * A key's user IDs as a terminal shows them before a trust question (`bpkg key add`): names the
 * key's holder chose, as many and as long as they like (40 IDs, one of 4,000 characters). Listed
 * whole they pushed the `Key FPR` line off a 24-row screen. So at most SHOWN are listed, then
 * "and N more", each escaped (escapeLine) and cut to the line with an ellipsis.
 */
import { escapeLine } from './escape.js';

/** How many user IDs are listed before "and N more". */
export const SHOWN_USER_IDS = 5;
/** The columns one listed ID may take: 80 less its indent and the ellipsis. */
export const USER_ID_COLUMNS = 74;

/**
 * Columns a code point may take, counted high: 2 from U+1100 on (the East Asian wide ranges
 * start there), so a cut line never wraps on an 80-column terminal.
 */
const columns = (c: string) => (c.codePointAt(0)! >= 0x1100 ? 2 : 1);

/**
 * A flag of tags (🏴 England) or one code point: what escapeLine leaves of tag characters is such a
 * flag, which a cut must keep whole (cut after 🏴 and a few tags, the rest were escaped again by
 * the output, `🏴\u{e0067}…`: test/security/console-tag-characters). It counts as its 🏴.
 */
const UNITS = /\u{1f3f4}[\u{e0020}-\u{e007f}]+|./gsu;

/** One user ID, escaped, cut to `max` columns with an ellipsis when longer. */
export function cutUserId(id: string, max = USER_ID_COLUMNS): string {
  const shown = escapeLine(id);
  let used = 0;
  let out = '';
  for (const c of shown.match(UNITS) ?? []) {
    used += columns(c);
    if (used > max) return `${out}…`;
    out += c;
  }
  return out;
}

/** The lines listing `ids` (each `indent`ed): the first SHOWN_USER_IDS, then "and N more user IDs". */
export function userIdLines(ids: readonly string[], indent = '  '): string[] {
  const more = ids.length - SHOWN_USER_IDS;
  return [
    ...ids.slice(0, SHOWN_USER_IDS).map((id) => `${indent}${cutUserId(id)}`),
    ...(more > 0 ? [`${indent}and ${more} more user ID${more === 1 ? '' : 's'}`] : []),
  ];
}

/** `ids` on one line (a key trusted, revoked or listed): the first SHOWN_USER_IDS, each cut, then "and N more". */
export function userIdsInline(ids: readonly string[], max = 60): string {
  const more = ids.length - SHOWN_USER_IDS;
  return [
    ...ids.slice(0, SHOWN_USER_IDS).map((id) => cutUserId(id, max)),
    ...(more > 0 ? [`and ${more} more`] : []),
  ].join(', ');
}
