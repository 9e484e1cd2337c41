import fc from 'fast-check';

/**
 * Mutations of valid JSON documents (the corpus seeds): values replaced at a random spot by
 * hostile ones, keys dropped or added, strings spliced with control characters, percent-encoded
 * dots and path tricks. Seeds keep the document deep enough that the schema's inner checks run.
 */
export const CONTROL_RE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same, but a multi-line text may keep newlines and tabs. */
export const CONTROL_BUT_LINES_RE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export const hostileText = fc.oneof(
  fc.constantFrom(
    '\x1b]0;pwned\x07',
    '\x1b[2J\x1b[H',
    '\x9b31m',
    '\u202egpj.exe',
    '\u2066x\u2069',
    '\r',
    '\n',
    '\t',
    '\0',
    '\x7f',
    '..',
    '../..',
    '%2e%2e',
    '%2E%2e/%2e%2E/x',
    '.%2e/x',
    '%252e%252e',
    'a%2fb',
    '%',
    '%zz',
    '/etc/passwd',
    '\\..\\x',
    'a/./b',
    'a//b',
    '?x',
    '#x',
    '4096g',
    `1${'0'.repeat(400)}g`,
    '99999999999999999999',
    '1e400',
    '-1',
    '__proto__',
    'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, 1e308, -0, [], {}),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

type Json = unknown;
/** Plain objects only: a YAML seed may hold a Uint8Array (!!binary) or a Set, left as they are. */
const isObj = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** Every spot in a document: [container, key] pairs, the root as [holder, 'root']. */
function spots(doc: Json): Array<[Record<string, Json> | Json[], string | number]> {
  const holder = { root: doc };
  const out: Array<[Record<string, Json> | Json[], string | number]> = [[holder, 'root']];
  const visit = (v: Json) => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        out.push([v, i]);
        visit(x);
      });
    else if (isObj(v))
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        visit(v[k]);
      }
  };
  visit(doc);
  return out;
}

const edit = fc.record({
  op: fc.constantFrom('set', 'set', 'splice', 'splice', 'drop', 'add', 'dup', 'retype'),
  at: fc.nat(),
  pos: fc.nat(),
  key: fc.oneof(fc.constantFrom('privileged', 'volumes', 'extra', '__proto__'), fc.string({ maxLength: 8 })),
  value: hostileValue,
  text: hostileText,
});

/** A seed with up to four edits applied. The seed itself is never modified. */
export function mutatedJson(seeds: Json[]): fc.Arbitrary<Json> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { maxLength: 4 })).map(([seed, edits]) => {
    const holder = { root: structuredClone(seed) as Json };
    for (const e of edits) {
      const all = spots(holder.root).slice(1);
      if (all.length === 0) break;
      const [box, key] = all[e.at % all.length]!;
      const cur = (box as Record<string | number, Json>)[key];
      const put = (v: Json) => {
        (box as Record<string | number, Json>)[key] = v;
      };
      // Values are copied in: fast-check may hand the same instance to two edits (a cycle).
      if (e.op === 'set') put(structuredClone(e.value));
      else if (e.op === 'splice' && typeof cur === 'string') {
        const at = e.pos % (cur.length + 1);
        put(cur.slice(0, at) + e.text + cur.slice(at));
      } else if (e.op === 'drop') {
        if (Array.isArray(box)) box.splice(key as number, 1);
        else delete (box as Record<string, Json>)[key as string];
      } else if (e.op === 'add' && isObj(cur))
        // An own property even for '__proto__' (as JSON.parse makes it), not a new prototype.
        Object.defineProperty(cur, e.key, {
          value: structuredClone(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else if (e.op === 'dup' && Array.isArray(cur) && cur.length) cur.push(structuredClone(cur[0]));
      else if (e.op === 'retype') put(typeof cur === 'string' ? [cur] : (JSON.stringify(cur) ?? 'null'));
    }
    return holder.root;
  });
}

/** Every string in a document with where it is, e.g. `packages.0.summary`. */
export function stringsIn(v: Json, at = ''): Array<[string, string]> {
  if (typeof v === 'string') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringsIn(x, at ? `${at}.${i}` : String(i)));
  if (isObj(v))
    return Object.entries(v).flatMap(([k, x]) => [
      ...(CONTROL_RE.test(k) ? [[`${at}[key]`, k] as [string, string]] : []),
      ...stringsIn(x, at ? `${at}.${k}` : k),
    ]);
  return [];
}
