import { minVersion, validRange, valid as validSemver } from 'semver';
import { z } from 'zod';
import { VerificationError } from '../errors.js';
import { hasControl, hasControlButLines, NO_CONTROL } from '../system/text.js';
import { fastIndex } from './index-fast.js';

/** Package names: lower-case, digits, dashes; used in paths and container labels. */
// The predicates below are shared with index-fast.ts, which checks a whole index the same way
// without zod's per-field bookkeeping (and hands anything it does not accept to zod).
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const isSemver = (v: string): boolean => validSemver(v) === v;
export const packageName = z
  .string()
  .regex(PACKAGE_NAME, 'must be lower-case letters, digits and dashes (max 63)');
const semverString = z.string().refine(isSemver, 'must be a semantic version like 1.2.3');
const arch = z.enum(['x86_64', 'aarch64', 'all']);
/**
 * `name`, `name>=1.2.3`, or a range of comparators that must all hold, separated by commas:
 * `name>=1.0.0,<2.0.0`. Each version is a full semantic version. A range that no version can
 * satisfy (`>=2.0.0,<1.0.0`) is refused here, so what an index or manifest accepts is exactly what
 * the resolver can answer.
 */
const COMPARATOR = /^(>=|<=|=|>|<) *(\S+)$/;
export const DEPENDENCY =
  /^[a-z0-9][a-z0-9-]{0,62} *((>=|<=|=|>|<) *\d+\.\d+\.\d+[0-9A-Za-z.+-]*( *, *(>=|<=|=|>|<) *\d+\.\d+\.\d+[0-9A-Za-z.+-]*)*)?$/;
export const comparatorsValid = (comparators: string[]): boolean =>
  comparators.every((c) => validSemver(COMPARATOR.exec(c)?.[2] ?? '') !== null);
export const rangeSatisfiable = (range: string): boolean =>
  validRange(range) !== null && minVersion(range) !== null;
const dependencyVersionsValid = (d: string): boolean => comparatorsValid(parseDependency(d).comparators);
const dependencySatisfiable = (d: string): boolean => rangeSatisfiable(parseDependency(d).range);
export const dependency = z
  .string()
  .regex(
    DEPENDENCY,
    'must look like "name", "name>=1.2.3" or "name>=1.0.0,<2.0.0" (comparators separated by commas)',
  )
  .refine(dependencyVersionsValid, 'each version in a range must be a semantic version like 1.2.3')
  .refine(dependencySatisfiable, 'no version can satisfy this range');
export const SHA256 = /^[0-9a-f]{64}$/;
const sha256 = z.string().regex(SHA256, 'must be 64 lower-case hex digits');
// Written out as ISO-8601 (what `repo build` writes): Date.parse alone skips stray characters,
// and a date is printed in messages ("expired on ...").
export const isIsoDate = (v: string): boolean =>
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) &&
  !Number.isNaN(Date.parse(v));
const isoDate = z.string().refine(isIsoDate, 'must be an ISO-8601 date like 2026-11-29T12:00:00Z');

/** One line of text shown to people. */
const line = (max: number, min = 0) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((v) => !hasControl(v), NO_CONTROL);
const text = z.string().refine((v) => !hasControlButLines(v), NO_CONTROL);

/** A path inside the payload (the manifest's `files`): relative, no `..`, no controls. */
const relPath = z
  .string()
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'),
    'must be a relative path without ..',
  )
  .refine((p) => !hasControl(p), NO_CONTROL);

/**
 * A package's path in the repository, which becomes part of a URL. URL parsers (and
 * `fileURLToPath`) decode `%2e%2e` into `..` and `%2f` into `/`, so a percent sign is refused
 * outright rather than judged before decoding; `?` and `#` would end the path, and `.`/`..`/empty
 * segments have no place in what `repo build` writes (`pool/NAME/NAME_VERSION_ARCH.bpkg`).
 */
export const isRepoPath = (p: string): boolean =>
  !hasControl(p) &&
  !/[%?#\\]/.test(p) &&
  p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
const repoPath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    isRepoPath,
    'must be a relative path inside the repository: no "..", ".", empty segments, "%", "?", "#" or "\\"',
  );

export const indexEntrySchema = z.strictObject({
  name: packageName,
  version: semverString,
  arch,
  summary: line(200),
  depends: z.array(dependency).default([]),
  size: z.number().int().nonnegative(),
  sha256,
  path: repoPath,
});

export const indexSchema = z.strictObject({
  format: z.literal(1),
  repository: line(100, 1),
  version: z.number().int().nonnegative(),
  generated: isoDate,
  expires: isoDate,
  packages: z.array(indexEntrySchema),
});

export const manifestSchema = z
  .object({
    format: z.literal(1).default(1),
    name: packageName,
    version: semverString,
    arch,
    summary: line(200),
    description: text.optional(),
    license: line(500).optional(),
    depends: z.array(dependency).default([]),
    /**
     * Modules whose APIs this one calls through their sockets, in the `depends` syntax
     * (`llm>=0.1.0,<1.0.0`). Each is also a dependency (`requirements`); the services module mounts
     * exactly these modules' socket folders into this one's sandbox (docs/module-wiring.md).
     */
    uses: z.array(dependency).max(32).default([]),
    /** Owned by the services module (validated through PackageHooks.validateManifest). */
    service: z.unknown().optional(),
    /** SHA-256 of payload files that must match before use (e.g. model weights): relative path -> hex. */
    files: z.record(relPath, sha256).optional(),
  })
  .superRefine(checkUses);

export type IndexEntry = z.infer<typeof indexEntrySchema>;

/** A module cannot use itself, and names a module once (one range says it all). */
function checkUses(m: { name: string; uses: string[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  m.uses.forEach((u, i) => {
    const { name } = parseDependency(u);
    if (name === m.name)
      ctx.addIssue({ code: 'custom', path: ['uses', i], message: 'a module cannot use itself' });
    else if (seen.has(name))
      ctx.addIssue({ code: 'custom', path: ['uses', i], message: `names ${name} twice; give one range` });
    seen.add(name);
  });
}

/**
 * Everything a package needs installed: its `depends` and its `uses`. The index entry's `depends`
 * is this list (`repo build` writes it so), so the resolver, the constraint checks and older
 * clients need not know `uses` at all.
 */
export function requirements(m: { depends: string[]; uses?: string[] }): string[] {
  // Both ranges hold when a module names another in both lists: the resolver and the constraint
  // checks take every entry.
  return [...new Set([...m.depends, ...(m.uses ?? [])])];
}
export type RepoIndex = z.infer<typeof indexSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** Formats zod issues as `field.path: message` so the user sees exactly what is wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
}

export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  code: string,
  hint: string,
): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new VerificationError(`Invalid ${what}: ${describeIssues(r.error)}`, code, hint);
  return r.data;
}

export function parseJsonBytes(bytes: Uint8Array | string, what: string, code: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new VerificationError(`${what} is not valid JSON: ${(err as Error).message}`, code);
  }
}

export function parseManifest(value: unknown, where = 'manifest.json'): Manifest {
  return parseWith(manifestSchema, value, where, 'bad-manifest', 'Fix the manifest and rebuild the package.');
}

export function parseIndex(bytes: Uint8Array): RepoIndex {
  const json = parseJsonBytes(bytes, 'Repository index', 'bad-index');
  // The same checks without zod's bookkeeping; what it does not accept outright, zod judges.
  const fast = fastIndex(json);
  if (fast) return fast;
  return parseWith(
    indexSchema,
    json,
    'repository index',
    'bad-index',
    'The repository publisher must fix index.json.',
  );
}

/**
 * The verified copy of an index kept under `lists/`. One stored by an older version may hold what
 * the schema now refuses (a `%2e%2e` path, an escape in a summary): its entries are dropped, so
 * nothing is fetched or shown from it, but its name, version and dates still count, so freshness
 * and rollback checks hold and the fixed index the publisher signs next is accepted.
 */
export function parseStoredIndex(bytes: Uint8Array): RepoIndex {
  try {
    return parseIndex(bytes);
  } catch (err) {
    const json = parseJsonBytes(bytes, 'Stored index', 'bad-index');
    const header = indexSchema.safeParse({ ...(json as object), packages: [] });
    if (!header.success) throw err;
    return header.data;
  }
}

export function packageFileName(e: { name: string; version: string; arch: string }): string {
  return `${e.name}_${e.version}_${e.arch}.bpkg`;
}

/**
 * Splits `name>=1.0.0,<2.0.0` into the name, its comparators (`>=1.0.0`, `<2.0.0`) and the
 * semver range they make together (`>=1.0.0 <2.0.0`, or `*` for any version).
 */
export function parseDependency(dep: string): { name: string; comparators: string[]; range: string } {
  const m = /^([a-z0-9][a-z0-9-]*)\s*(.*)$/.exec(dep.trim());
  if (!m) return { name: dep, comparators: [], range: '*' };
  const comparators = m[2]!
    .split(',')
    .map((c) => c.replace(/\s+/g, ''))
    .filter((c) => c !== '');
  // `=1.0.0` is semver's exact `1.0.0`; the other operators mean the same in semver.
  const range = comparators.map((c) => (c.startsWith('=') ? c.slice(1) : c)).join(' ') || '*';
  return { name: m[1]!, comparators, range };
}
