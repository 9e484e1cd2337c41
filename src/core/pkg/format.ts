import { z } from 'zod';
import { VerificationError } from '../errors.js';
import { oneLine } from '../system/one-line.js';
import { hasControl, hasControlButLines, NO_CONTROL } from '../system/text.js';
import {
  comparatorsValid,
  DEPENDENCY,
  isIsoDate,
  isRepoPath,
  isSemver,
  PACKAGE_NAME,
  parseDependency,
  parseJsonBytes,
  rangeSatisfiable,
  SHA256,
} from './format-checks.js';
import { fastIndex } from './index-fast.js';

// The predicates live in format-checks.ts (no zod), shared with index-fast.ts, which checks a
// whole index the same way without zod's bookkeeping and hands anything it does not accept to zod.
export * from './format-checks.js';

/** Package names: lower-case, digits, dashes; used in paths and container labels. */
export const packageName = z
  .string()
  .regex(PACKAGE_NAME, 'must be lower-case letters, digits and dashes (max 63)');
const semverString = z.string().refine(isSemver, 'must be a semantic version like 1.2.3');
const arch = z.enum(['x86_64', 'aarch64', 'all']);
/**
 * `name`, `name>=1.2.3`, or a range of comparators that must all hold (DEPENDENCY): a range that
 * no version can satisfy (`>=2.0.0,<1.0.0`) is refused here, so what an index or manifest accepts
 * is exactly what the resolver can answer.
 */
// One error a mistake: each check passes what an earlier one refused (zod runs them all), so a
// range that does not parse is not also called unsatisfiable (`hello>>1` gave three errors).
const dependencyShapeValid = (d: string): boolean => DEPENDENCY.test(d);
const dependencyVersionsValid = (d: string): boolean =>
  !dependencyShapeValid(d) || comparatorsValid(parseDependency(d).comparators);
const dependencySatisfiable = (d: string): boolean =>
  !dependencyShapeValid(d) ||
  !comparatorsValid(parseDependency(d).comparators) ||
  rangeSatisfiable(parseDependency(d).range);
export const dependency = z
  .string()
  .regex(
    DEPENDENCY,
    'must look like "name", "name>=1.2.3" or "name>=1.0.0,<2.0.0" (comparators separated by commas)',
  )
  .refine(dependencyVersionsValid, 'each version in a range must be a semantic version like 1.2.3')
  .refine(dependencySatisfiable, 'no version can satisfy this range');
const sha256 = z.string().regex(SHA256, 'must be 64 lower-case hex digits');
// ISO-8601 (isIsoDate): a date is printed in messages ("expired on ...").
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
  return (
    error.issues
      .slice(0, 5)
      // One line: zod quotes what it was given (an unrecognised key of a signed index, breaks and all),
      // and a break would print a line of the file's choosing under `error:` (a forged `hint:`).
      .map((i) => oneLine(`${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`))
      .join('; ')
  );
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
