/**
 * A deadline in ms from the environment (tests shorten them): `env[name]` when it is a whole number
 * of ms (digits only, at most 9), else `fallback`.
 */
export function msFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  const n = v && /^\d{1,9}$/.test(v) ? Number(v) : 0;
  return n > 0 ? n : fallback;
}

/** A deadline as said to a person: `30 s`, or `250 ms` when not whole seconds. */
export const deadlineText = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
