/**
 * What a module logs reaches an admin's terminal as it is: `blueprint service logs NAME` writes the
 * engine's log bytes out unchanged. Module log lines carry client text (a rag document's source
 * name, a decoded path or name in a 5xx message, another module's error text), and a client of the
 * socket is less trusted than the admin reading the log. The kit's log (modules/kit/server/log.ts)
 * writes every record as one line with control and bidi characters made visible, as the CLI's
 * escapeLine does (\xNN, \u{NNNN}): no escape sequence (title, screen clear, C1 CSI), no new line
 * that forges a record, no override that reorders one.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKitServer, createLog, HttpError } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

/** Everything a terminal would act on: C0 (new line included), DEL, C1, bidi controls, separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const hostile =
  'doc\x1b]0;owned\x07\x1b[2J\r\n2026-12-01T00:00:00.000Z rag: all good \u202eevil\u009b31m.pdf';

/** Each write is one record: text with nothing unsafe, then exactly one newline. */
function oneSafeLine(text: string) {
  expect(text.endsWith('\n')).toBe(true);
  expect(UNSAFE.exec(text.slice(0, -1))).toBeNull();
}

describe('the kit log writes untrusted text escaped, one record a line', () => {
  it('a plain line, an event, its summary, the start-up record and its repetition', () => {
    const written: string[] = [];
    const log = createLog({ name: 'rag', write: (t) => written.push(t), recordEveryBytes: 200 });
    log.startup(`serving ${hostile}`);
    log(`deleted document 1 (${JSON.stringify(hostile)}, 3 chunks)`);
    log.event('500 /x', `500 POST /x: ${hostile}`);
    log.event('500 /x', `500 POST /x: again ${hostile}`);
    log.flush();
    log('x'.repeat(300)); // past recordEveryBytes: the start-up record is written again
    expect(written.length).toBeGreaterThanOrEqual(6);
    for (const t of written) oneSafeLine(t);
    const all = written.join('');
    expect(all).toContain('doc\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x0a2026');
    expect(all).toContain('\\u{202e}evil\\x9b31m.pdf');
    // The record repeated is the escaped one too.
    expect(all.match(/serving doc\\x1b/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('plain text is written as it was (UTF-8 beyond ASCII included)', () => {
    const written: string[] = [];
    const log = createLog({ name: 'rag', write: (t) => written.push(t) });
    log('ingested "Übersicht — 概要.pdf" into default: 3 chunks');
    expect(written[0]).toMatch(/: ingested "Übersicht — 概要\.pdf" into default: 3 chunks\n$/);
  });

  it("a server's 500 whose message holds a decoded path segment is logged escaped", async () => {
    const written: string[] = [];
    const kit = createKitServer({
      log: createLog({ name: 'mod', write: (t) => written.push(t) }),
      errorBody: (e) => ({ error: e.message }),
      routes: {},
      match: (_m, path) => ({
        method: 'GET',
        handle: () => {
          throw new HttpError(500, `cannot open ${decodeURIComponent(path.slice(1))}`);
        },
      }),
    });
    const sock = join(tempDir('kit-log-'), 'api.sock');
    await kit.listen(sock);
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const c = connect(sock);
        let text = '';
        c.on('data', (d) => {
          text += d.toString();
        });
        c.on('end', () => resolve(text));
        c.on('error', reject);
        c.end('GET /a%1b%5d0;owned%07%0d%0aforged%e2%80%ae HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 500 /);
      const line = written.find((t) => t.includes('cannot open'));
      expect(line).toBeDefined();
      oneSafeLine(line!);
      expect(line).toContain('cannot open a\\x1b]0;owned\\x07\\x0d\\x0aforged\\u{202e}');
    } finally {
      await kit.drain(1000);
    }
  });
});
