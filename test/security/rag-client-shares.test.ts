/**
 * One client on many connections against another client on one, at rag's parse line and at the
 * ingests' share of the body budget (the rag bundle as its own process, lone-rag.ts; the consumers
 * have tokens, the admin set none, so a request without a token is the kit's client `anonymous`).
 *
 * The parse line took turns by the kit's client only for requests with a token: without one, each
 * connection was its own client, so an anonymous sender with four connections had four turns before
 * a consumer's document (each hostile document held the worker for its whole budget). And the
 * ingests' share of the body budget (half of RAG_MAX_BUFFERED_BYTES) was first come, first served:
 * one client's documents waiting behind a slow one took all of it, and every other client's
 * document was a 503. Now the line and the share go by the kit's client (anonymous is one), and one
 * client holds at most half the share (or one document, whatever its size).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, slowMarkdown, startLoneRag, Unanswered } from '../rag/lone-rag.js';
import { tempDir } from '../setup/temp-registry.js';

const MIB = 1024 * 1024;
/** Half of RAG_MAX_BUFFERED_BYTES's default (96 MiB): what ingests may hold at once (api.ts). */
const INGEST_SHARE = 48 * MIB;
const NORMAL = '# Notes\n\nA paragraph about *things*, with a [link](https://example.org).\n';
const emphasis = slowMarkdown;

let rag: ServedProcess;
const tmp = tempDir('rag-shares-tokens-');
const VICTIM = { authorization: `Bearer ${'v'.repeat(24)}` };
const ATTACKER = { authorization: `Bearer ${'a'.repeat(24)}` };
beforeAll(async () => {
  writeFileSync(join(tmp, 'client-tokens'), `attacker ${'a'.repeat(24)}\nvictim ${'v'.repeat(24)}\n`);
  rag = await startLoneRag('rag-shares-', { BLUEPRINT_CLIENT_TOKENS_FILE: join(tmp, 'client-tokens') });
}, 120_000);
afterAll(() => rag?.kill());

describe('many connections of one client get one client’s turns and share', () => {
  it('four hostile documents on four connections without a token: a consumer’s document is parsed before the second is refused', async () => {
    const events: string[] = [];
    const sent = new Unanswered(rag.socket);
    const hostile = [1, 2, 3, 4].map((i) =>
      sent.ingest('text/markdown', `e${i}.md`, emphasis(i), 120_000).then((r) => {
        events.push(`hostile ${r.status}`);
        return r;
      }),
    );
    await sent.received(); // all four are read and waiting on the worker (before: a 500 ms sleep)
    const normal = await ingest(rag.socket, 'text/markdown', 'normal.md', NORMAL, 120_000, VICTIM);
    events.push('normal answered');
    expect([normal.status, normal.text]).toEqual(PARSED);
    expect((await Promise.all(hostile)).map((r) => r.status)).toEqual([413, 413, 413, 413]);
    // Only the one the worker had. Before: all four (each connection a client never served).
    expect(events.slice(0, events.indexOf('normal answered'))).toEqual(['hostile 413']);
  }, 200_000);

  it('one consumer’s documents behind a slow one fill the ingests’ share to 8 bytes: another consumer’s document is still let in', async () => {
    // Two slow ones hold the worker (~25 s) while the rest arrive and wait.
    const sent = new Unanswered(rag.socket);
    const send = (name: string, type: string, body: string) =>
      sent.ingest(type, name, body, 120_000, ATTACKER);
    const slow = [8, 9].map((i) => send(`slow${i}.md`, 'text/markdown', emphasis(i)));
    await sent.received();
    let left = INGEST_SHARE - 2 * Buffer.byteLength(emphasis(9)) - 8;
    const sizes: number[] = [];
    while (left > 0) {
      sizes.push(Math.min(8 * MIB, left));
      left -= sizes.at(-1)!;
    }
    const filling = sizes.map((n, i) => send(`fill-${i}.txt`, 'text/plain', 'a'.repeat(n)));
    // All received and held or waiting for room (or refused): before, a 4 s sleep, which a loaded
    // machine outran once.
    await sent.received();
    const victim = await ingest(rag.socket, 'text/plain', 'victim.txt', 'b'.repeat(MIB), 120_000, VICTIM);
    // Before: 503 'documents are being ingested' while the attacker's waited.
    expect([victim.status, victim.text]).toEqual(PARSED);
    const answers = await Promise.all(filling);
    // The attacker's beyond half the share were refused as its own; the rest parsed.
    const refused = answers.filter((a) => a.status === 503 && /this client has/.test(a.text));
    // Failed once in a clean-clone CI run here under load (0 refused, the test over in 12.6 s, not
    // the ~25 s of the two slow ones): what each was answered, to tell why when it comes again.
    const said = answers.map((a) => `${a.status} ${Math.round(a.ms)} ms ${a.text.slice(0, 160)}`);
    expect(refused.length, said.join('\n')).toBeGreaterThan(0);
    expect(answers.filter((a) => !refused.includes(a)).map((a) => [a.status, a.text])).toEqual(
      answers.filter((a) => !refused.includes(a)).map(() => PARSED),
    );
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([413, 413]);
  }, 200_000);
});
