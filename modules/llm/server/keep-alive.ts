/** Ollama's keep_alive values (model-pool.ts keeps models loaded by them). */

/** Kept for ever (a negative keep_alive, or the default model without a request's keep_alive). */
export const FOREVER = -1;
/** Go's longest time.Duration (2^63 - 1 ns), Ollama's: a keep_alive past it is kept for ever. */
const MAX_KEEP_MS = 9_223_372_036_854;

/**
 * Ollama's keep_alive: a number of seconds, or a Go duration ("5m", "1h30m", "300ms"); negative
 * keeps the model for ever (FOREVER), and so does one longer than Go's longest duration (~292
 * years: Ollama clamps a number of seconds to it). Undefined for a value that is neither.
 */
export function keepAliveMs(v: unknown): number | undefined {
  const ms = keepAliveOf(v);
  return ms !== undefined && ms > MAX_KEEP_MS ? FOREVER : ms;
}

function keepAliveOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? (v < 0 ? FOREVER : Math.round(v * 1000)) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^[-+]?\d+(\.\d+)?$/.test(s)) return keepAliveOf(Number(s));
  const m = /^([-+]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let ms = 0;
  for (const [, n, u] of m[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * unit[u!]!;
  return m[1] === '-' ? FOREVER : Math.round(ms);
}
