import type { Writable } from 'node:stream';
import { mappedTextStream } from './escape-stream.js';

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z /;

/**
 * A line of `service logs` (`ENGINE-TIME TEXT`) with one timestamp: Podman's logs API stamps each
 * line to the second, and a module that stamps its own (every kit module, to the millisecond)
 * printed two. The engine's is dropped only when the module's is the same second or the one before
 * (the engine reads the line a moment after the module wrote it: 12:06:02.997 stamped 12:06:03): a
 * module cannot put a time of its choosing in the engine's place (such a line keeps both).
 */
export function oneTimestamp(line: string): string {
  const engine = STAMP.exec(line);
  if (!engine) return line;
  const rest = line.slice(engine[0].length);
  const own = STAMP.exec(rest);
  if (!own) return line;
  if (own[1] === engine[1]) return rest;
  const behind = Date.parse(`${engine[1]}Z`) - Date.parse(`${own[1]}Z`);
  return behind === 1000 ? rest : line;
}

/** oneTimestamp for each line written to `out`, lines split across writes judged whole. */
export const oneTimestampStream = (out: NodeJS.WritableStream): Writable =>
  mappedTextStream(out, oneTimestamp, { lines: true });
