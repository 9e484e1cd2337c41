import type { z } from 'zod';
import { editDistance } from '../system/edit-distance.js';

/*
 * How a refused answers file or apply description is said: each issue at its field's path, with the
 * near name of a mistyped field or the other file's word for it (split out of schema.ts, which holds
 * the schemas themselves).
 */

/**
 * Setup's answers and apply's description name the same things apart (one admin and repository,
 * lists of users and repositories): a field of the other file, and what this one takes instead.
 */
const OTHER_FILE: Record<string, readonly [string, string]> = {
  admin: ['users', 'a list of { name, admin: true, keys }'],
  repository: ['repositories', 'a list of { name, url, key, fingerprint }'],
  users: ['admin', 'one { name, keys }'],
  repositories: ['repository', 'one { name, url, key, fingerprint }'],
};

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
};
const defOf = (s: z.ZodType | undefined) => (s as unknown as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The field names of the object `schema` holds at `path` (through defaults, optionals, lists). */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s: z.ZodType | undefined = schema;
  // Through defaults, optionals and transforms; a union (a module by name, or as an object): its object.
  const unwrap = () => {
    for (let d = defOf(s); d; d = defOf(s)) {
      if (d.type === 'union') s = d.options?.find((o) => defOf(o)?.type === 'object');
      else if (d.type === 'pipe')
        s = defOf(d.in)?.type === 'transform' ? d.out : d.in; // preprocess: its out
      else if (d.innerType) s = d.innerType;
      else break;
    }
  };
  unwrap();
  for (const p of path) {
    const d = defOf(s);
    if (d?.type === 'array') s = d.element;
    else if (d?.type === 'object' && typeof p === 'string') s = d.shape?.[p];
    else return undefined;
    unwrap();
  }
  const d = defOf(s);
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}

/** What to write instead of unknown field `key` where `fields` are taken, if anything is near. */
function insteadOf(key: string, fields: string[]): string | undefined {
  const other = OTHER_FILE[key];
  if (other && fields.includes(other[0])) return `this file takes ${other[0]}, ${other[1]}`;
  const near = fields
    .map((f) => ({ f, d: editDistance(key.toLowerCase(), f.toLowerCase(), 2) }))
    .filter((x) => x.d <= Math.min(2, Math.floor(x.f.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  return near ? `did you mean ${near.f}?` : undefined;
}

/**
 * `field.path: message` for each issue, so the user sees exactly which answer is wrong; with the
 * schema, an unknown field gets the near name, or what this file takes instead of the other's.
 */
export function describeIssues(error: z.ZodError, schema?: z.ZodType): string {
  return error.issues
    .slice(0, 6)
    .map((i) => {
      const received = i.code === 'invalid_type' ? /received (\w+)/.exec(i.message)?.[1] : undefined;
      if (!i.path.length && received)
        return `(top level): must hold settings (KEY: VALUE lines, or a JSON object), not ${received === 'array' ? 'a list' : `a ${received}`}`;
      let message = received === 'undefined' ? 'is required' : i.message;
      // Ansible's YAML (1.1) has yes/no/on/off as booleans; the YAML 1.2 read here has them as words.
      if (received === 'string' && i.code === 'invalid_type' && i.expected === 'boolean')
        message =
          'must be true or false, not a word ("yes", "no", "on" and "off" are words in YAML 1.2, which this file is read as)';
      if (
        i.code === 'unrecognized_keys' &&
        (i.keys.length > SHOWN_FIELDS || i.keys.some((k) => cut(k) !== k))
      )
        message = `Unrecognized keys: ${counted(i.keys.map((k) => `"${cut(k)}"`)).join(', ')}`;
      const fields = i.code === 'unrecognized_keys' && schema ? fieldsAt(schema, i.path) : undefined;
      if (i.code === 'unrecognized_keys' && fields) {
        const notes = i.keys.slice(0, SHOWN_FIELDS).flatMap((k) => {
          const note = insteadOf(k, fields);
          return !note ? [] : i.keys.length === 1 ? [note] : [`"${k}": ${note}`];
        });
        if (notes.length) message += ` (${notes.join('; ')})`;
      }
      return `${i.path.length ? i.path.join('.') : '(top level)'}: ${message}`;
    })
    .join('; ');
}

/**
 * The fields the issues are about, by name (`users.0.keys.0`; an unknown key by its own name,
 * `ssh.prot`), for a hint that stands alone: in --json and in Ansible's failure the hint is a
 * sibling of the message, with nothing "above" it. The file's top level is `the top level`.
 */
export function issueFields(error: z.ZodError): string[] {
  const fields = error.issues.slice(0, 6).flatMap((i) => {
    const at = i.path.map(String);
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => cut([...at, k].join('.')));
    return [at.length ? cut(at.join('.')) : 'the top level'];
  });
  return counted([...new Set(fields)]);
}

/*
 * A field's name is the file's text, as long and as many as it has: a template gone wrong made 3,000
 * unknown keys, each named in the message and again in the hint (46 KB), one key of 10,000
 * characters printed whole twice. At most SHOWN_FIELDS are named, each cut to FIELD_CHARS, the rest
 * counted.
 */
const SHOWN_FIELDS = 6;
const FIELD_CHARS = 60;
const cut = (name: string): string => {
  const chars = [...name];
  return chars.length > FIELD_CHARS ? `${chars.slice(0, FIELD_CHARS).join('')}…` : name;
};
const counted = (names: string[]): string[] =>
  names.length > SHOWN_FIELDS
    ? [...names.slice(0, SHOWN_FIELDS), `${(names.length - SHOWN_FIELDS).toLocaleString('en-US')} more`]
    : names;
