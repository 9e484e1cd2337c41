import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { escapeText } from './escape.js';

/**
 * A stream of untrusted bytes on its way to a terminal (a container's log, as `service logs`
 * prints it): whatever is written is passed on to `out` with its control characters made visible,
 * as escapeText does for a whole text. The bytes are decoded as UTF-8 across writes, so a character
 * split between two of the engine's frames (a two-byte C1 control such as U+009B among them) is
 * judged whole; bytes that are not UTF-8 reach `out` as U+FFFD, never as a raw 8-bit control.
 * Each control character is escaped on its own, so a sequence split between writes is no sequence.
 */
export function escapingStream(out: NodeJS.WritableStream): Writable {
  const decoder = new StringDecoder('utf8');
  const pass = (text: string, done: (err?: Error | null) => void) => {
    if (!text) return done();
    out.write(escapeText(text), (err) => done(err ?? null));
  };
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      // A string after bytes: what was held of a split character goes first (as U+FFFD).
      pass(typeof chunk === 'string' ? decoder.end() + chunk : decoder.write(chunk), done);
    },
    final(done) {
      pass(decoder.end(), done);
    },
  });
}
