/**
 * The service log (stderr, which the container engine keeps under a size cap).
 *
 * Repeated events are rate-limited: the first of a kind in a window is written, the rest are
 * counted and summed up when the window ends ("503 busy × 8912 in the last 10 s"), so an overload
 * costs a few lines per window, not one per request.
 *
 * The start-up record (which model files were verified, the no-token warning, what is served) is
 * kept in memory (bounded) and written again after every `recordEveryBytes` of log, so any tail of
 * the log longer than that holds it. A cap that truncates the log (Podman's log-size-max) cannot
 * erase it. Chosen over a separate file because the sandbox's root is read-only and a module need
 * not have writable storage, and because `blueprint service logs` is where an admin looks.
 */
import { format } from 'node:util';

export interface KitLogOptions {
  /** Prefix of every line, e.g. the module's name. */
  name: string;
  write?: (text: string) => void;
  windowMs?: number;
  recordEveryBytes?: number;
  now?: () => Date;
}

export interface KitLog {
  (line: string): void;
  /** A line of the start-up record (kept, and repeated; at most 40 lines, 8 KiB). */
  startup(line: string): void;
  /** A repeatable event: `key` groups the ones counted together. */
  event(key: string, line: string): void;
  /** Writes pending summaries now (at exit). */
  flush(): void;
}

/**
 * What a terminal acts on (C0 with new lines, DEL, C1, the bidi controls and line separators), as
 * the CLI's escapeLine (src/present/escape.ts) has it. A record holds client text (a document's
 * name, a decoded path in a 5xx message, another module's error) and `blueprint service logs`
 * writes the log to the admin's terminal as it is: an escape sequence would act there, a new line
 * would forge a record, an override would reorder one.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const visible = (c: string) => {
  const cp = c.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
};
/** One record on one line, whatever text it holds. */
export const escapeLogLine = (line: string): string => line.replace(UNSAFE, visible);

export function createLog(opts: KitLogOptions): KitLog {
  const write = opts.write ?? ((t: string) => process.stderr.write(t));
  const windowMs = opts.windowMs ?? 10_000;
  const recordEvery = opts.recordEveryBytes ?? 1024 * 1024;
  const now = opts.now ?? (() => new Date());
  const record: string[] = [];
  let recordBytes = 0;
  let sinceRecord = 0;
  const counts = new Map<string, { n: number; last: string }>();
  let timer: NodeJS.Timeout | undefined;

  const out = (line: string) => {
    const text = `${now().toISOString()} ${opts.name}: ${escapeLogLine(line)}\n`;
    write(text);
    sinceRecord += text.length;
    if (sinceRecord >= recordEvery && record.length > 0) {
      sinceRecord = 0;
      write(`${now().toISOString()} ${opts.name}: start-up record (repeated so a log cap keeps it):\n`);
      for (const r of record) write(`${now().toISOString()} ${opts.name}:   ${escapeLogLine(r)}\n`);
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const seconds = Math.round(windowMs / 1000);
    const pending = [...counts.entries()].filter(([, c]) => c.n > 0);
    counts.clear();
    for (const [key, c] of pending) out(`${key} × ${c.n} more in the last ${seconds} s (last: ${c.last})`);
  };

  const log = ((line: string) => out(line)) as KitLog;
  log.startup = (line: string) => {
    if (record.length < 40 && recordBytes + line.length <= 8192) {
      record.push(line);
      recordBytes += line.length;
    }
    out(line);
  };
  log.event = (key: string, line: string) => {
    const c = counts.get(key);
    if (c) {
      c.n++;
      c.last = line;
      return;
    }
    counts.set(key, { n: 0, last: line });
    out(line);
    if (!timer) {
      timer = setTimeout(flush, windowMs);
      timer.unref();
    }
  };
  log.flush = flush;
  return log;
}

/**
 * Sends what libraries print with console.* through `log` (escaped, one record a line, and counted
 * per kind like other repeated events), instead of straight to stderr. node-llama-cpp warns about a
 * JSON schema's "$ref" by printing the client's reference: raw, an escape sequence in it acted on
 * the admin's terminal (`blueprint service logs`) and a new line in it forged a record, one request
 * each. The kind is the text's first 24 characters, a library's own prefix rather than client text.
 */
export function routeConsole(log: KitLog): void {
  const to = (...args: unknown[]) => {
    const text = format(...args);
    log.event(`console ${text.slice(0, 24)}`, text);
  };
  for (const k of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[k] = to;
}
