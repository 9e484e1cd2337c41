/**
 * A tool's `parameters` (a JSON schema) as node-llama-cpp's function-call grammar takes it, or a
 * 400 naming the node it cannot express. The grammar builder (node-llama-cpp's
 * getGbnfJsonTerminalForGbnfJsonSchema) silently drops a keyword it does not know (`minimum`,
 * `pattern`, `not`…) and lets one form win over another (`enum` over `type`), so a schema is taken
 * only when every keyword in it is one the grammar enforces: then the arguments the model is made
 * to write are always valid against the schema the client sent.
 *
 * Kept: `type` (string, number, integer, boolean, null, or a list of them; object; array),
 * `properties` (the grammar writes every property, so any `required` naming them holds),
 * `additionalProperties`, `min/maxProperties`, `required`, `items`, `prefixItems`, `min/maxItems`,
 * `min/maxLength`, `format` (date-time, date, time), `enum`, `const`, `oneOf`, `anyOf` (the grammar
 * writes one of the branches: valid for anyOf; for oneOf, valid when no value fits two branches),
 * `$defs` and `$ref` (`#/$defs/NAME`, defined above it); a node of annotations only (any value) is
 * written as a scalar. Annotations are kept as they are:
 * `description`, `title`, `$comment`, `$schema`, `$id`, `default`, `examples`.
 */
import { bad, type Obj } from './request.js';
import './string-grammar.js';

const ANNOTATION = new Set(['description', 'title', '$comment', '$schema', '$id', 'default', 'examples']);
const SCALAR = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const FORMATS = new Set(['date-time', 'date', 'time']);
const KEYS: Record<string, Set<string>> = {
  object: new Set([
    'type',
    'properties',
    'additionalProperties',
    'minProperties',
    'maxProperties',
    'required',
  ]),
  array: new Set(['type', 'items', 'prefixItems', 'minItems', 'maxItems']),
  string: new Set(['type', 'minLength', 'maxLength', 'format']),
  scalar: new Set(['type']),
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The JSON type of a literal, as a schema's `type` names it. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * The schema as the grammar builder takes it (anyOf written as oneOf, annotations dropped), or a
 * 400 naming `where` and the node's path. `defs`: the $defs names above this node.
 */
export function grammarSchema(schema: unknown, where: string, param: string, defs = new Set<string>()): Obj {
  const fail = (why: string): never => {
    throw bad(`${where} ${why}: the function-call grammar cannot make arguments follow it`, param);
  };
  if (!isObj(schema)) return fail('must be a JSON schema object');
  const out: Obj = {};
  const known = new Set(defs);
  if (schema.$defs !== undefined) {
    if (!isObj(schema.$defs)) fail("has '$defs' that is not an object");
    for (const name of Object.keys(schema.$defs as Obj)) known.add(name);
    const own: Obj = {};
    for (const [name, def] of Object.entries(schema.$defs as Obj))
      own[name] = grammarSchema(def, `${where}.$defs.${name}`, param, known);
    out.$defs = own;
  }
  const rest = Object.keys(schema).filter((k) => !ANNOTATION.has(k) && k !== '$defs');
  const only = (allowed: Set<string>) => {
    const extra = rest.find((k) => !allowed.has(k));
    if (extra !== undefined) fail(`has '${extra.slice(0, 64)}'`);
  };
  if (typeof schema.description === 'string') out.description = schema.description;
  if (schema.$ref !== undefined) {
    only(new Set(['$ref']));
    const ref = schema.$ref;
    const name = typeof ref === 'string' && ref.startsWith('#/$defs/') ? ref.slice(8) : undefined;
    if (name === undefined || !known.has(name))
      fail("has a '$ref' that is not '#/$defs/NAME' of a $defs above it");
    return { ...out, $ref: ref };
  }
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches !== undefined) {
    const key = schema.oneOf !== undefined ? 'oneOf' : 'anyOf';
    only(new Set([key]));
    if (!Array.isArray(branches) || branches.length === 0)
      fail(`has a '${key}' that is not a non-empty list`);
    return {
      ...out,
      oneOf: (branches as unknown[]).map((b, i) => grammarSchema(b, `${where}.${key}[${i}]`, param, known)),
    };
  }
  // A literal wins over `type` in the grammar: a `type` beside it must hold for every value.
  const literals = schema.const !== undefined ? [schema.const] : schema.enum;
  if (literals !== undefined) {
    only(new Set([schema.const !== undefined ? 'const' : 'enum', 'type']));
    if (!Array.isArray(literals) || literals.length === 0) fail("has an 'enum' that is not a non-empty list");
    const types = schema.type === undefined ? undefined : [schema.type].flat();
    for (const v of literals as unknown[]) {
      if (v !== null && typeof v === 'object') fail('has an object or a list among its const/enum values');
      const t = typeOf(v);
      if (types && !types.includes(t) && !(t === 'integer' && types.includes('number')))
        fail(`has the value ${JSON.stringify(v).slice(0, 64)}, not of its type`);
    }
    return schema.const !== undefined ? { ...out, const: schema.const } : { ...out, enum: literals };
  }
  const type = schema.type;
  if (Array.isArray(type)) {
    if (type.length === 0 || !type.every((t) => SCALAR.has(t)))
      fail("has a 'type' list with other than string, number, integer, boolean and null");
    only(KEYS.scalar!);
    return { ...out, type };
  }
  if (type === 'object') {
    only(KEYS.object!);
    const props = schema.properties ?? {};
    if (!isObj(props)) fail("has 'properties' that is not an object");
    const properties: Obj = {};
    for (const [k, v] of Object.entries(props as Obj))
      properties[k] = grammarSchema(v, `${where}.properties.${k}`, param, known);
    const add = schema.additionalProperties;
    const required = schema.required;
    if (
      required !== undefined &&
      (!Array.isArray(required) || !required.every((r) => Object.hasOwn(properties, r)))
    )
      fail("has a 'required' name that is not among its properties");
    for (const k of ['minProperties', 'maxProperties'])
      if (schema[k] !== undefined && !count(schema[k])) fail(`has a '${k}' that is not a whole number`);
    const n = Object.keys(properties).length;
    if ((schema.maxProperties as number) < n) fail("has a 'maxProperties' below its number of properties");
    if ((schema.minProperties as number) > n && (add === undefined || add === false))
      fail("has a 'minProperties' above the properties it may hold");
    return {
      ...out,
      type,
      properties,
      ...(add === undefined || typeof add === 'boolean'
        ? add === true
          ? { additionalProperties: true }
          : {}
        : { additionalProperties: grammarSchema(add, `${where}.additionalProperties`, param, known) }),
      ...(schema.minProperties !== undefined ? { minProperties: schema.minProperties } : {}),
      ...(schema.maxProperties !== undefined ? { maxProperties: schema.maxProperties } : {}),
    };
  }
  if (type === 'array') {
    only(KEYS.array!);
    const prefix = schema.prefixItems;
    if (prefix !== undefined && !Array.isArray(prefix)) fail("has 'prefixItems' that is not a list");
    for (const k of ['minItems', 'maxItems'])
      if (schema[k] !== undefined && !count(schema[k])) fail(`has a '${k}' that is not a whole number`);
    if (
      (schema.maxItems as number) <
      Math.max((schema.minItems as number) ?? 0, (prefix as unknown[])?.length ?? 0)
    )
      fail("has a 'maxItems' below its minItems or prefixItems");
    return {
      ...out,
      type,
      ...(schema.items !== undefined
        ? { items: grammarSchema(schema.items, `${where}.items`, param, known) }
        : {}),
      ...(prefix
        ? {
            prefixItems: (prefix as unknown[]).map((p, i) =>
              grammarSchema(p, `${where}.prefixItems[${i}]`, param, known),
            ),
          }
        : {}),
      ...(schema.minItems !== undefined ? { minItems: schema.minItems } : {}),
      ...(schema.maxItems !== undefined ? { maxItems: schema.maxItems } : {}),
    };
  }
  if (type === 'string') {
    only(KEYS.string!);
    if (schema.format !== undefined) {
      if (!FORMATS.has(schema.format as string)) fail("has a 'format' other than date-time, date or time");
      if (schema.minLength !== undefined || schema.maxLength !== undefined)
        fail("has 'format' with 'minLength' or 'maxLength'");
      return { ...out, type, format: schema.format };
    }
    for (const k of ['minLength', 'maxLength'])
      if (schema[k] !== undefined && !count(schema[k])) fail(`has a '${k}' that is not a whole number`);
    if ((schema.maxLength as number) < ((schema.minLength as number) ?? 0))
      fail("has a 'maxLength' below its 'minLength'");
    // Counted alike by the grammar and by node-llama-cpp's check of the call: string-grammar.ts.
    return {
      ...out,
      type,
      ...(schema.minLength !== undefined ? { minLength: schema.minLength } : {}),
      ...(schema.maxLength !== undefined ? { maxLength: schema.maxLength } : {}),
    };
  }
  if (typeof type === 'string' && SCALAR.has(type)) {
    only(KEYS.scalar!);
    return { ...out, type };
  }
  if (type === undefined) {
    if (rest.length > 0) fail(`has '${rest[0]!.slice(0, 64)}' without a 'type'`);
    // Any value (pydantic's Any, zod's z.any(): annotations only): the grammar writes a scalar,
    // which it is (node-llama-cpp would write only null for a node without a type).
    return { ...out, type: ['string', 'number', 'boolean', 'null'] };
  }
  return fail(`has the type ${JSON.stringify(type).slice(0, 64)}`);
}
