import { valid as validSemver } from 'semver';
import { z } from 'zod';
import { VerificationError } from '../errors.js';

/** Package names: lower-case, digits, dashes; used in paths and container labels. */
export const packageName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (max 63)');
const semverString = z.string().refine((v) => validSemver(v) === v, 'must be a semantic version like 1.2.3');
const arch = z.enum(['x86_64', 'aarch64', 'all']);
/** `name`, `name>=1.2`, `name=1.0.0`, `name<2`. */
export const dependency = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}\s*((>=|<=|=|>|<)\s*\d+\.\d+\.\d+\S*)?$/,
    'must look like "name" or "name>=1.2.3"',
  );
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date');
const relPath = z
  .string()
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'),
    'must be a relative path without ..',
  );

export const indexEntrySchema = z.strictObject({
  name: packageName,
  version: semverString,
  arch,
  summary: z.string().max(200),
  depends: z.array(dependency).default([]),
  size: z.number().int().nonnegative(),
  sha256,
  path: relPath,
});

export const indexSchema = z.strictObject({
  format: z.literal(1),
  repository: z.string().min(1).max(100),
  version: z.number().int().nonnegative(),
  generated: isoDate,
  expires: isoDate,
  packages: z.array(indexEntrySchema),
});

export const manifestSchema = z.object({
  format: z.literal(1).default(1),
  name: packageName,
  version: semverString,
  arch,
  summary: z.string().max(200),
  description: z.string().optional(),
  license: z.string().optional(),
  depends: z.array(dependency).default([]),
  /** Owned by the services module (validated through PackageHooks.validateManifest). */
  service: z.unknown().optional(),
  /** SHA-256 of payload files that must match before use (e.g. model weights): relative path -> hex. */
  files: z.record(relPath, sha256).optional(),
});

export type IndexEntry = z.infer<typeof indexEntrySchema>;
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
  return parseWith(
    indexSchema,
    json,
    'repository index',
    'bad-index',
    'The repository publisher must fix index.json.',
  );
}

export function packageFileName(e: { name: string; version: string; arch: string }): string {
  return `${e.name}_${e.version}_${e.arch}.bpkg`;
}

/** Splits `name>=1.2.3` into its parts. */
export function parseDependency(dep: string): { name: string; op?: string; version?: string } {
  const m = /^([a-z0-9][a-z0-9-]*)\s*(>=|<=|=|>|<)?\s*(\S+)?$/.exec(dep.trim());
  if (!m) return { name: dep };
  return { name: m[1]!, ...(m[2] ? { op: m[2], version: m[3] } : {}) };
}
