import type { Writable } from 'node:stream';

export interface KeptLine {
  time: string;
  line: string;
}

/**
 * The lines of the engine's k8s-file log (`TIME STREAM F|P TEXT`; P: a part of a line the next
 * entry goes on with), parts joined. Times as the engine's API gives them (`Z` for UTC).
 */
export function keptLines(text: string): KeptLine[] {
  const out: KeptLine[] = [];
  let part = '';
  for (const l of text.split('\n')) {
    const m = /^(\S+) (?:stdout|stderr) ([FP]) ?(.*)$/.exec(l);
    if (!m) continue;
    part += m[3];
    if (m[2] === 'P') continue;
    out.push({ time: m[1]!.replace(/\+00:00$/, 'Z'), line: part });
    part = '';
  }
  return out;
}

/** A window of time, in ms since the epoch, both ends included (as `docker logs --since/--until`). */
export interface LogWindow {
  since?: number;
  until?: number;
}

/** Whether a line's time (RFC 3339, as the engine writes it) lies in `w`; one with no time does not. */
export function inWindow(time: string, w: LogWindow): boolean {
  if (w.since === undefined && w.until === undefined) return true;
  const t = Date.parse(time);
  if (Number.isNaN(t)) return false;
  return (w.since === undefined || t >= w.since) && (w.until === undefined || t <= w.until);
}

/**
 * The kept log's lines in the window (all without one), the last `tail` of those (all without it);
 * undefined when there is no file.
 */
export async function readKeptLogs(
  file: string,
  opts: LogWindow & { tail?: number } = {},
): Promise<KeptLine[] | undefined> {
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const lines = keptLines(text).filter((l) => inWindow(l.time, opts));
  const { tail } = opts;
  return tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
}

export function writeKeptLines(out: Writable, lines: KeptLine[], timestamps = true): void {
  for (const l of lines) out.write(`${timestamps ? `${l.time} ` : ''}${l.line}\n`);
}
