import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z /;

/**
 * A line of `service logs` (`ENGINE-TIME TEXT`) with one timestamp: Podman's logs API stamps each
 * line to the second, and a module that stamps its own (every kit module, to the millisecond)
 * printed two. The engine's is dropped only when the module's is the same second: a module cannot
 * put a time of its choosing in the engine's place (such a line keeps both).
 */
export function oneTimestamp(line: string): string {
  const engine = STAMP.exec(line);
  if (!engine) return line;
  const rest = line.slice(engine[0].length);
  const own = STAMP.exec(rest);
  return own && own[1] === engine[1] ? rest : line;
}

/** oneTimestamp for each line written to `out`, lines split across writes judged whole. */
export function oneTimestampStream(out: NodeJS.WritableStream): Writable {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const pass = (text: string, done: (err?: Error | null) => void) => {
    if (!text) return done();
    out.write(text, (err) => done(err ?? null));
  };
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      const text = typeof chunk === 'string' ? decoder.end() + chunk : decoder.write(chunk);
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      pass(lines.map((l) => `${oneTimestamp(l)}\n`).join(''), done);
    },
    final(done) {
      pass(oneTimestamp(rest + decoder.end()), done);
      rest = '';
    },
  });
}
