/**
 * Characters a terminal acts on instead of showing: C0 and C1 controls and DEL (cursor moves,
 * window titles, erasing lines), and the bidirectional overrides and isolates that reorder what
 * is shown. Untrusted text that has no use for them (a summary, a path, a key comment, a URL) is
 * refused where it is parsed; what reaches a terminal anyway (older records, key user IDs) is
 * escaped by the front ends (src/present/escape.ts).
 */
const CONTROL = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** The same, but a multi-line text may keep its newlines and tabs. */
const CONTROL_BUT_LINES = /(?![\n\t])[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export const NO_CONTROL = 'must not contain control characters or bidirectional overrides';

/** True when `v` holds a character a terminal would act on (see above). */
export const hasControl = (v: string): boolean => CONTROL.test(v);

/** As hasControl, but newlines and tabs are allowed (multi-line text). */
export const hasControlButLines = (v: string): boolean => CONTROL_BUT_LINES.test(v);
