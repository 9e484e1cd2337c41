import path from 'node:path';
import { StorageError } from '../errors.js';
import { layout } from '../system/paths.js';
import { readSmallFileSync } from '../system/read-small.js';
import { MAX_MEMORY_BYTES, MIN_CPUS, MIN_MEMORY_BYTES, parseBytes } from './bytes.js';
import type { LoadedRegistration } from './registry.js';

/**
 * The admin's resource overrides of a module (`resources:` in an appliance file, written by
 * `blueprint apply` and setup as ROOT/etc/blueprint/overrides/NAME.json): its service runs with
 * this memory and these cpus instead of its manifest's. Read at every plan, so a change takes effect
 * at the next start or restart (the limits are in the spec, so its label changes). The same bounds
 * as a manifest's own request (schema.ts); a file that is not one is refused, naming it.
 * `gpu` (setup's schema has it) is judged but not applied: it would change the devices a sandbox
 * gets, which stay what the manifest and the admin's approvals say.
 */
export interface ResourceOverrides {
  memoryBytes?: number;
  cpus?: number;
}

const MAX_FILE = 64 * 1024;

export const overridesFile = (root: string, name: string) =>
  path.join(layout(root).root, 'etc/blueprint/overrides', `${name}.json`);

function invalid(file: string, why: string): StorageError {
  return new StorageError(
    `The resource overrides of ${path.basename(file, '.json')} are not valid: ${why}`,
    'overrides-invalid',
    `Fix or delete ${file} (\`blueprint apply -f FILE\` writes it from the resources: of a module), ` +
      'then start the service again.',
  );
}

/**
 * An admin's small file's text (the overrides here, the settings in settings.ts), or undefined when
 * there is none. Opened without following a link at its name and without blocking (a FIFO there
 * never holds a start), and only a small regular file is read; `invalid` words a refusal.
 */
export function readAdminFile(
  file: string,
  invalid: (file: string, why: string) => Error,
): string | undefined {
  let r: ReturnType<typeof readSmallFileSync>;
  try {
    r = readSmallFileSync(file, MAX_FILE, { followLink: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw invalid(file, 'it is a symbolic link');
    throw invalid(file, (err as Error).message);
  }
  if (r && 'unread' in r)
    throw invalid(file, r.unread === 'not-regular' ? 'it is not a regular file' : 'it is larger than 64 KiB');
  return r?.text;
}

/**
 * An admin file's text (readAdminFile) as the JSON object its fields are judged from; text that is
 * not JSON, or JSON that is not an object, is refused through `invalid`.
 */
export function adminJsonObject(
  file: string,
  text: string,
  invalid: (file: string, why: string) => Error,
): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid(file, 'it is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(file, 'it is not a JSON object');
  return v as Record<string, unknown>;
}

/** The overrides judged from the file's text (setup writes `memory` as "128m", `cpus` as a number). */
export function parseOverrides(file: string, text: string): ResourceOverrides {
  const o = adminJsonObject(file, text, invalid);
  const unknown = Object.keys(o).filter((k) => !['memory', 'cpus', 'gpu'].includes(k));
  if (unknown.length) throw invalid(file, `unknown field ${JSON.stringify(unknown[0])} (memory, cpus, gpu)`);
  const out: ResourceOverrides = {};
  if (o.memory !== undefined) {
    const m = o.memory;
    const bytes =
      typeof m === 'number' && Number.isInteger(m)
        ? m
        : typeof m === 'string' && /^\d+(\.\d+)?[kmg]?$/i.test(m)
          ? /[kmg]$/i.test(m)
            ? parseBytes(m)
            : Math.round(Number(m)) // whole bytes, as parseBytes: Podman refuses "5000000.5" (int64)
          : Number.NaN;
    if (Number.isNaN(bytes)) throw invalid(file, 'memory must be a size like "512m" or "4g"');
    if (!(bytes >= MIN_MEMORY_BYTES && bytes <= MAX_MEMORY_BYTES))
      throw invalid(file, 'memory must be at least 4m and at most 1024g (1 TiB)');
    out.memoryBytes = bytes;
  }
  if (o.cpus !== undefined) {
    if (typeof o.cpus !== 'number' || !(o.cpus >= MIN_CPUS && o.cpus <= 1024))
      throw invalid(file, 'cpus must be a number from 0.01 to 1024');
    out.cpus = o.cpus;
  }
  if (o.gpu !== undefined && !['none', 'optional', 'required'].includes(o.gpu as string))
    throw invalid(file, 'gpu must be none, optional or required');
  return out;
}

/** The registration with the admin's overrides of its limits applied (the same one when none). */
export function withOverrides(root: string, reg: LoadedRegistration): LoadedRegistration {
  const file = overridesFile(root, reg.name);
  const text = readAdminFile(file, invalid);
  if (text === undefined) return reg;
  const o = parseOverrides(file, text);
  if (o.memoryBytes === undefined && o.cpus === undefined) return reg;
  const resources = {
    ...reg.spec.resources,
    ...(o.memoryBytes !== undefined ? { memory: o.memoryBytes } : {}),
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
  };
  return { ...reg, spec: { ...reg.spec, resources } };
}
