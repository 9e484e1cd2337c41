import type { z } from 'zod';
import { manifestSchema, packageName } from '../pkg/format.js';
import { checkedServiceSchema, type ServiceSpec, serviceSchema } from '../services/schema.js';

/** One problem, named by its field path in manifest.json (or a file name). */
export interface Finding {
  field: string;
  message: string;
}

/** A field that asks for more than the sandbox's defaults, and the reason the author gave. */
export interface Loosening {
  field: string;
  value: string;
  default: string;
  justification?: string;
}

export interface ManifestCheck {
  errors: Finding[];
  warnings: Finding[];
  loosened: Loosening[];
  name?: string;
  files?: Record<string, string>;
  service?: ServiceSpec;
}

/** `service.mounts[0].source`, `files["models/a.onnx"]`: a path a reader can find in the JSON. */
export function fieldPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][\w]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top level)';
}

const issues = (error: z.ZodError, prefix: string[]): Finding[] =>
  error.issues.map((i) => ({ field: fieldPath([...prefix, ...i.path]), message: i.message }));

// `repo build` fills in the image; the source manifest is checked with a stand-in.
const PLACEHOLDER_IMAGE = { archive: 'image.tar', id: `sha256:${'0'.repeat(64)}` };
const DEFAULTS = serviceSchema.parse({ image: PLACEHOLDER_IMAGE });
const MiB = 1024 * 1024;

/** Every field of the spec that loosens the sandbox's defaults, keyed as in `service.justification`. */
export function loosenings(s: ServiceSpec): Omit<Loosening, 'justification'>[] {
  const out: Omit<Loosening, 'justification'>[] = [];
  const add = (field: string, value: unknown, dflt: string) =>
    out.push({ field, value: JSON.stringify(value), default: dflt });
  if (s.network === 'outbound') add('network', s.network, 'no network');
  if (s.gpu !== 'none') add('gpu', s.gpu, 'no GPU');
  if (s.mounts.length) add('mounts', s.mounts, 'no package files mounted');
  if (s.packageMounts.length) add('packageMounts', s.packageMounts, 'no other package mounted');
  if (s.data) add('data', s.data, 'no persistent writable storage');
  const r = s.resources;
  const d = DEFAULTS.resources;
  if (r.memory > d.memory) add('resources.memory', `${r.memory / MiB}m`, `${d.memory / MiB}m`);
  if (r.cpus > d.cpus) add('resources.cpus', r.cpus, String(d.cpus));
  if (r.pids > d.pids) add('resources.pids', r.pids, String(d.pids));
  return out;
}

/**
 * Checks a source manifest: the package schema (unknown fields too: they would be dropped), the
 * service schema, and that every loosening of the sandbox carries a justification. Pure.
 */
export function checkManifest(raw: unknown): ManifestCheck {
  const out: ManifestCheck = { errors: [], warnings: [], loosened: [] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    out.errors.push({ field: 'manifest.json', message: 'must be a JSON object' });
    return out;
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (!(key in manifestSchema.shape))
      out.errors.push({
        field: fieldPath([key]),
        message: 'is not a manifest field (it would be dropped when the package is built)',
      });
  const m = manifestSchema.safeParse(obj);
  if (!m.success) out.errors.push(...issues(m.error, []));
  // The report is headed with the name whenever it is a valid one, not only when all else is.
  const name = packageName.safeParse(obj.name);
  if (name.success) out.name = name.data;
  if (m.success && m.data.files) out.files = m.data.files;
  if (typeof obj.files === 'object' && obj.files && !m.success)
    out.files = obj.files as Record<string, string>;
  if (obj.service === undefined) return out;
  if (typeof obj.service !== 'object' || obj.service === null || Array.isArray(obj.service)) {
    out.errors.push({ field: 'service', message: 'must be an object' });
    return out;
  }
  const service = obj.service as Record<string, unknown>;
  if (service.image !== undefined)
    out.warnings.push({
      field: 'service.image',
      message: '`blueprint repo build` fills this in from the Containerfile; the value here is replaced',
    });
  const s = checkedServiceSchema.safeParse({ ...service, image: PLACEHOLDER_IMAGE });
  if (!s.success) {
    out.errors.push(...issues(s.error, ['service']));
    return out;
  }
  out.service = s.data;
  const reasons = s.data.justification ?? {};
  for (const l of loosenings(s.data)) {
    const justification = reasons[l.field];
    out.loosened.push({ ...l, ...(justification ? { justification } : {}) });
    if (!justification)
      out.errors.push({
        field: fieldPath(['service', ...l.field.split('.')]),
        message: `${l.value} loosens the sandbox (default: ${l.default}); say why in service.justification["${l.field}"]`,
      });
  }
  const loosened = new Set(out.loosened.map((l) => l.field));
  for (const key of Object.keys(reasons))
    if (!loosened.has(key))
      out.warnings.push({
        field: fieldPath(['service', 'justification', key]),
        message: 'justifies nothing: that field does not loosen the sandbox here; remove it',
      });
  if (!s.data.health)
    out.warnings.push({
      field: 'service.health',
      message: 'no health check: `service start` cannot tell when the module is ready',
    });
  return out;
}
