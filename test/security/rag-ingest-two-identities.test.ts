/**
 * A consumer is two of the kit's clients: `consumer:NAME` with its token, and `anonymous` without
 * one. The ingests' share (modules/rag/server/ingest-share.ts; half of RAG_MAX_BUFFERED_BYTES, 48
 * MiB by default) gave one client at most half, or one document of any size (up to
 * RAG_MAX_BODY_BYTES, 32 MiB) while it held nothing: a tokenless 32 MiB document plus 16 MiB on the
 * token filled all of it, and every other client's document was a 503 for as long as those took to
 * parse (up to RAG_PARSE_TIMEOUT_S, 300 s), again and again. A document that does not fit now waits
 * for room, in its turn, and another client's is let in as soon as room frees. The rag bundle as its
 * own process (lone-rag.ts) with the default budgets and one parse worker (RAG_PARSE_WORKERS 1), so
 * that a slow Markdown document holds the worker while the large ones wait for it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedProcess } from '../helpers/served-module.js';
import { PARSED, slowMarkdown, startLoneRag, Unanswered } from '../rag/lone-rag.js';
import { tempDir } from '../setup/temp-registry.js';

const MIB = 1024 * 1024;
/** Half of RAG_MAX_BUFFERED_BYTES's default (96 MiB): what ingests may hold at once (api.ts). */
const INGEST_SHARE = 48 * MIB;
const BODY = 32 * MIB; // RAG_MAX_BODY_BYTES's default
const slow = slowMarkdown('slow');

let rag: ServedProcess;
const tmp = tempDir('rag-two-identities-');
const VICTIM = { authorization: `Bearer ${'v'.repeat(24)}` };
const ATTACKER = { authorization: `Bearer ${'a'.repeat(24)}` };
beforeAll(async () => {
  writeFileSync(join(tmp, 'client-tokens'), `attacker ${'a'.repeat(24)}\nvictim ${'v'.repeat(24)}\n`);
  rag = await startLoneRag('rag-two-identities-', {
    BLUEPRINT_CLIENT_TOKENS_FILE: join(tmp, 'client-tokens'),
    RAG_PARSE_WORKERS: '1',
  });
}, 120_000);
afterAll(() => rag?.kill());

describe('one consumer with and without its token does not fill the ingests’ share', () => {
  it('a tokenless 32 MiB document and the rest on the token: another consumer’s document waits for room, not a 503', async () => {
    const events: string[] = [];
    const tag = (name: string) => (r: { status: number; text: string }) => {
      events.push(name);
      return r;
    };
    // The attacker's slow one holds the worker; its large ones wait for it, holding their bytes.
    // Each step waits until rag has received what was sent (before: sleeps of 0.3 to 1.5 s).
    const sent = new Unanswered(rag.socket);
    const first = sent.ingest('text/markdown', 'slow.md', slow, 120_000, ATTACKER);
    await sent.received();
    const tokenless = sent.ingest('text/plain', 'big.txt', 'a'.repeat(BODY), 120_000).then(tag('big'));
    await sent.received();
    const rest = INGEST_SHARE - BODY - Buffer.byteLength(slow) - 8;
    const token = sent
      .ingest('text/plain', 'rest.txt', 'b'.repeat(rest), 120_000, ATTACKER)
      .then(tag('rest'));
    await sent.received(); // both received and waiting for the worker
    const victim = sent
      .ingest('text/plain', 'victim.txt', 'c'.repeat(MIB), 120_000, VICTIM)
      .then(tag('victim'));
    await sent.received(); // the victim's waits for room
    // The attacker's next one on its token arrives after the victim's, and is let in after it.
    const next = sent.ingest('text/plain', 'next.txt', 'd'.repeat(MIB), 120_000, ATTACKER).then(tag('next'));
    // Before: [503, 'busy: 50331640 bytes of documents are being ingested (at most 50331648 at once)'].
    const v = await victim;
    expect([v.status, v.text]).toEqual(PARSED);
    expect((await first).status).toBe(413);
    for (const r of await Promise.all([tokenless, token, next])) expect([r.status, r.text]).toEqual(PARSED);
    expect(events.indexOf('victim')).toBeLessThan(events.indexOf('next'));
  }, 200_000);
});
