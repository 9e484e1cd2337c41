/**
 * `blueprint service logs` printed two timestamps on every line of a module that stamps its own
 * (every kit module does): the engine's, to the second (Podman's logs API gives no more), then the
 * module's, to the millisecond: `2026-12-03T09:03:17Z 2026-12-03T09:03:17.517Z embeddings: …`.
 * The engine's is dropped only where the module's agrees with it to the second (a module cannot put
 * another time in its place: that line keeps both), and only in the text the admin reads (--json
 * keeps both fields as they were).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { oneTimestamp, oneTimestampStream } from '../../src/present/log-lines.js';

describe('service logs: one timestamp a line', () => {
  it('drops the engine time where the module stamped the same second, finer', () => {
    expect(oneTimestamp('2026-12-03T09:03:17Z 2026-12-03T09:03:17.517Z embeddings: serving')).toBe(
      '2026-12-03T09:03:17.517Z embeddings: serving',
    );
  });

  it('drops it too where the module stamped the second before (the engine reads the line a moment later)', () => {
    // Seen in the demo: rag wrote at 12:06:02.997, Podman stamped the line 12:06:03.
    expect(oneTimestamp('2026-12-05T12:06:03Z 2026-12-05T12:06:02.997Z rag: 503 POST /v1/chat')).toBe(
      '2026-12-05T12:06:02.997Z rag: 503 POST /v1/chat',
    );
    // Across a minute, an hour and a day.
    expect(oneTimestamp('2026-12-06T00:00:00Z 2026-12-05T23:59:59.999Z a: x')).toBe(
      '2026-12-05T23:59:59.999Z a: x',
    );
    // Two seconds before, or any time after the engine's: both kept.
    const early = '2026-12-05T12:06:03Z 2026-12-05T12:06:01.500Z rag: x';
    expect(oneTimestamp(early)).toBe(early);
    const later = '2026-12-05T12:06:03Z 2026-12-05T12:06:04.000Z rag: x';
    expect(oneTimestamp(later)).toBe(later);
  });

  it('keeps both when the module says another time, and lines without a module time as they are', () => {
    const forged = '2026-12-03T09:03:17Z 2020-01-01T00:00:00.000Z vectors: something';
    expect(oneTimestamp(forged)).toBe(forged);
    expect(oneTimestamp('2026-12-03T09:03:17Z hello: listening on /run/hello/hello.sock')).toBe(
      '2026-12-03T09:03:17Z hello: listening on /run/hello/hello.sock',
    );
    expect(oneTimestamp('2026-12-03T09:03:17Z ')).toBe('2026-12-03T09:03:17Z ');
    expect(oneTimestamp('no time at all')).toBe('no time at all');
  });

  it('as a stream: lines split across writes are judged whole, the last one without a newline too', async () => {
    let text = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        text += chunk;
        done();
      },
    });
    const s = oneTimestampStream(sink);
    for (const piece of [
      '2026-12-03T09:03:17Z 2026-12-03T09:0',
      '3:17.517Z a: one\n2026-12-03T09:03:18Z b: two\n2026-12-03T09:03:19Z ',
      '2026-12-03T09:03:19.001Z c: three',
    ])
      s.write(piece);
    await new Promise<void>((r) => s.end(r));
    expect(text).toBe(
      '2026-12-03T09:03:17.517Z a: one\n2026-12-03T09:03:18Z b: two\n2026-12-03T09:03:19.001Z c: three',
    );
  });
});
