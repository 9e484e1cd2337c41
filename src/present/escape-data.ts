/**
 * escapeData: apart from src/present/escape.ts, which every command's start compiles
 * (test/perf/start-path's budget); only the console (src/tui/escaped-sources.ts) uses it.
 */
import { escapeText } from './escape.js';

/**
 * A copy of plain data (strings, arrays, plain objects) with every string passed through
 * escapeText (newlines stay: a screen lays them out); anything else (numbers, dates, functions, class instances) is kept as it is. For
 * values that only ever reach a screen, such as the rows the TUI shows.
 */
export function escapeData<T>(value: T): T {
  if (typeof value === 'string') return escapeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeData(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = escapeData(v);
    return out as T;
  }
  return value;
}
