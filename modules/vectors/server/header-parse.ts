/**
 * A collection file's header (persist.ts Header: a JSON object) parsed a slice at a time. Its
 * arrays (labels, ids, payloads, versions) are as large as the collection's payloads, and a
 * snapshot is a file a user may upload: one JSON.parse of it held the event loop for as long as it
 * took (~1.8 s for a 40 MB header on the loaded VM, /health unanswered:
 * test/security/vectors-snapshot-header). Here the top-level object is scanned by hand (strings,
 * escapes and nesting tracked, the loop let go every SCAN_RUN bytes); each of those arrays is
 * parsed by JSON.parse a group of whole elements at a time (about GROUP_BYTES, or one element
 * larger than that: bounded by what the file's other checks allow), and any other value must be
 * under SMALL_BYTES. The result is what JSON.parse gives for the same text (a duplicate key: the
 * last one); text that is not JSON is refused.
 */

import { setOwn } from './own-key.js';
import type { Header } from './persist.js';
import type { Work } from './slices.js';

const ARRAYS = new Set(['labels', 'ids', 'payloads', 'versions']);
const GROUP_BYTES = 256 * 1024;
const SCAN_RUN = 256 * 1024;
const SMALL_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);
const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function notJson(): Error {
  return new Error('its header is not valid JSON');
}

function skipWs(b: Uint8Array, i: number): number {
  while (isWs(b[i])) i++;
  return i;
}

/** The index after the string that starts at `i` (a quote). */
function stringEnd(b: Uint8Array, i: number, limit: number): number {
  for (let j = i + 1; j < b.length && j - i <= limit; j++) {
    if (b[j] === BACKSLASH) j++;
    else if (b[j] === QUOTE) return j + 1;
  }
  throw b.length - i > limit ? new Error(`a value in its header is over ${limit} bytes`) : notJson();
}

/** The index after the value that starts at `i`, looked for at most `limit` bytes ahead. */
function valueEnd(b: Uint8Array, i: number, limit: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i, limit);
  if (c !== undefined && OPEN.has(c)) {
    let depth = 0;
    for (let j = i; j < b.length && j - i <= limit; j++) {
      const x = b[j]!;
      if (x === QUOTE) j = stringEnd(b, j, limit) - 1;
      else if (OPEN.has(x)) depth++;
      else if (CLOSE.has(x) && --depth === 0) return j + 1;
    }
    throw b.length - i > limit ? new Error(`a value in its header is over ${limit} bytes`) : notJson();
  }
  let j = i;
  while (j < b.length && b[j] !== 0x2c && !CLOSE.has(b[j]!) && !isWs(b[j])) j++;
  return j;
}

const text = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');

function parse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw notJson();
  }
}

/** An array's elements (`i` at its '['), a group at a time; returns the index after its ']'. */
function* arrayAt(b: Uint8Array, i: number, into: unknown[]): Work<number> {
  // Only a whole array may be empty: an empty group is a comma out of place ('[<256 KB>,]' or 256 KB
  // of spaces before a comma), which JSON.parse refuses (test/security/vectors-header-differential).
  const flush = (from: number, to: number) => {
    if (skipWs(b, from) >= to) {
      if (from === i + 1 && b[to] === 0x5d) return;
      throw notJson();
    }
    const part = parse(`[${text(b, from, to)}]`) as unknown[];
    for (const v of part) into.push(v);
  };
  let group = i + 1;
  let depth = 0;
  let scanned = 0;
  for (let j = i; j < b.length; j++) {
    if (++scanned >= SCAN_RUN) {
      scanned = 0;
      yield;
    }
    const x = b[j]!;
    if (x === QUOTE) {
      const end = stringEnd(b, j, Number.POSITIVE_INFINITY);
      scanned += end - j;
      j = end - 1;
    } else if (OPEN.has(x)) depth++;
    else if (CLOSE.has(x)) {
      if (--depth > 0) continue;
      if (x !== 0x5d) throw notJson();
      flush(group, j);
      return j + 1;
    } else if (x === 0x2c && depth === 1 && j - group >= GROUP_BYTES) {
      flush(group, j);
      group = j + 1;
      yield;
    }
  }
  throw notJson();
}

/** The header parsed from its bytes, yielding between slices (slices.ts sliced() runs it). */
export function* parseHeader(b: Uint8Array): Work<Header> {
  const out: Record<string, unknown> = {};
  let i = skipWs(b, 0);
  if (b[i] !== 0x7b) throw notJson();
  i = skipWs(b, i + 1);
  if (b[i] !== 0x7d)
    for (;;) {
      if (b[i] !== QUOTE) throw notJson();
      const keyEnd = stringEnd(b, i, SMALL_BYTES);
      const key = parse(text(b, i, keyEnd)) as string;
      i = skipWs(b, keyEnd);
      if (b[i] !== 0x3a) throw notJson();
      i = skipWs(b, i + 1);
      if (ARRAYS.has(key) && b[i] === 0x5b) {
        const items: unknown[] = [];
        i = yield* arrayAt(b, i, items);
        setOwn(out, key, items);
      } else {
        const end = valueEnd(b, i, SMALL_BYTES);
        setOwn(out, key, parse(text(b, i, end)));
        i = end;
      }
      i = skipWs(b, i);
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1);
        continue;
      }
      if (b[i] === 0x7d) break;
      throw notJson();
    }
  if (skipWs(b, i + 1) !== b.length) throw notJson();
  return out as unknown as Header;
}
