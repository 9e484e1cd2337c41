import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { escapeText } from './escape.js';

/**
 * Text written as bytes, passed on to `out` as `map` makes it. The bytes are decoded as UTF-8
 * across writes, so a character split between two writes is judged whole; bytes that are not UTF-8
 * reach `map` as U+FFFD. With `lines`, `map` gets each whole line (without its `\n`, put back
 * after it), a line split across writes judged whole; the last, unended, at the end.
 */
export function mappedTextStream(
  out: NodeJS.WritableStream,
  map: (text: string) => string,
  opts: { lines?: boolean } = {},
): Writable {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const pass = (text: string, done: (err?: Error | null) => void) => {
    if (!text) return done();
    out.write(text, (err) => done(err ?? null));
  };
  const mapped = (text: string) => {
    if (!opts.lines) return text && map(text);
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    return lines.map((l) => `${map(l)}\n`).join('');
  };
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      // A string after bytes: what was held of a split character goes first (as U+FFFD).
      pass(mapped(typeof chunk === 'string' ? decoder.end() + chunk : decoder.write(chunk)), done);
    },
    final(done) {
      const last = opts.lines ? rest + decoder.end() : decoder.end();
      rest = '';
      pass(last && map(last), done);
    },
  });
}

/**
 * A stream of untrusted bytes on its way to a terminal (a container's log, as `service logs`
 * prints it): whatever is written is passed on to `out` with its control characters made visible,
 * as escapeText does for a whole text (decoded as mappedTextStream does: a two-byte C1 control
 * such as U+009B split between the engine's frames is judged whole; bytes that are not UTF-8 reach
 * `out` as U+FFFD, never as a raw 8-bit control). Each control character is escaped on its own, so
 * a sequence split between writes is no sequence.
 */
export const escapingStream = (out: NodeJS.WritableStream): Writable => mappedTextStream(out, escapeText);
