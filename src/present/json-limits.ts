import { isNoMemoryLimit } from '../core/services/bytes.js';

/** The fields of a --json document that carry a memory limit read back from the kernel or the engine. */
const LIMIT_KEYS = ['memoryBytes', 'limitBytes'] as const;

/**
 * A JSON.stringify replacer for --json documents: a memory limit that is the kernel's "no limit"
 * figure (2^63 - 4096, cgroup v1's page-counter maximum, which v2's "max" reads as too; JSON writes
 * it 9223372036854772000) is said as null with `noMemoryLimit: true` beside it, as the text says "no
 * limit": a script comparing limits would read 8 EiB. Every other value is itself. Applied to every
 * document (status, inspect, a refused start's admission) so that none is left to say the figure.
 */
export function jsonLimitReplacer(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const o = value as Record<string, unknown>;
  const none = LIMIT_KEYS.filter((k) => typeof o[k] === 'number' && isNoMemoryLimit(o[k] as number));
  if (!none.length) return value;
  const out: Record<string, unknown> = { ...o };
  for (const k of none) out[k] = null;
  out.noMemoryLimit = true;
  return out;
}
