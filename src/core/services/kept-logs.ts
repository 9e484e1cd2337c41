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

/** The kept log's last `tail` lines (all without it); undefined when there is no file. */
export async function readKeptLogs(file: string, tail?: number): Promise<KeptLine[] | undefined> {
  const { readFile } = process.getBuiltinModule('node:fs/promises');
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const lines = keptLines(text);
  return tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
}

export function writeKeptLines(out: Writable, lines: KeptLine[], timestamps = true): void {
  for (const l of lines) out.write(`${timestamps ? `${l.time} ` : ''}${l.line}\n`);
}
