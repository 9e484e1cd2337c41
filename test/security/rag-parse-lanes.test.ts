/**
 * A PDF's parse budget goes by its size (modules/rag/server/budget.ts): one padded to 1 MiB gets
 * 85 s of the parse worker whatever it holds (~4 MiB: the whole 300 s), and a size cannot tell
 * padding from text (a 2,000-page book needs its minutes). With one parse worker, another client's
 * small document waited for all of it: the line's turns by client bound the wait by the longest
 * budget. Small documents (budgets up to RAG_SMALL_PARSE_S, 30 s) now have a second, small worker
 * of their own where the machine has two cores (modules/rag/server/parse-lanes.ts); the rag bundle
 * as its own process, lone-rag.ts, on this 2-core machine.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBudget } from '../../modules/rag/server/budget.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { ingest, PARSED, startLoneRag, Unanswered } from '../rag/lone-rag.js';
import { deflatedPdf, formBombPdf } from '../rag/pdf-fixtures.js';
import { tempDir } from '../setup/temp-registry.js';

const MIB = 1024 * 1024;
const NOTE = 'Reset the device by holding the button for ten seconds.\n\nThen wait for the light.\n';

let rag: ServedProcess;
const tmp = tempDir('rag-lanes-tokens-');
const as = (who: string) => ({ authorization: `Bearer ${who[0]!.repeat(24)}` });
beforeAll(async () => {
  writeFileSync(join(tmp, 'client-tokens'), `attacker ${'a'.repeat(24)}\nvictim ${'v'.repeat(24)}\n`);
  rag = await startLoneRag('rag-lanes-', { BLUEPRINT_CLIENT_TOKENS_FILE: join(tmp, 'client-tokens') });
}, 120_000);
afterAll(() => rag?.kill());

describe("one client's padded PDF does not hold another client's small document", () => {
  it('a small PDF whose streams decode past the small worker’s 32 MiB is parsed in the large worker, not refused', async () => {
    const text = Buffer.from('BT /F1 12 Tf 72 712 Td (hello there) Tj ET');
    const pdf = deflatedPdf([
      [text, 1],
      [24 * MIB, 2],
    ]);
    expect(pdf.length).toBeLessThan(100_000);
    const r = await ingest(rag.socket, 'application/pdf', 'spaces.pdf', pdf, 120_000, as('victim'));
    expect([r.status, r.text]).toEqual(PARSED);
    expect(rag.log()).toMatch(/a pdf document of \d+ bytes needs the large parse worker: .*32 MiB/);
  }, 150_000);

  it('a 1 MiB PDF of forms drawing forms (85 s of budget): another client’s small text document is parsed within 20 s', async () => {
    const padded = formBombPdf(30, MIB);
    const budget = parseBudget('pdf', padded.length, 300, 10, (m) => new Error(m));
    expect(budget.ms).toBeGreaterThan(80_000);
    const sent = new Unanswered(rag.socket);
    const hostile = sent.ingest('application/pdf', 'padded.pdf', padded, 200_000, as('attacker'));
    await sent.received(); // the padded one holds the (large) worker (before: a 1 s sleep)
    // Before: no answer until the padded one reached its budget (status 0 here at 20 s).
    const victim = await ingest(rag.socket, 'text/plain', 'note.txt', NOTE, 20_000, as('victim'));
    expect([victim.status, victim.text]).toEqual(PARSED);
    expect(rag.log()).toMatch(/a second parse worker \(96 MiB of heap, PDFs decoding to 32 MiB\)/);
    rag.kill(); // the padded one would hold a core for the rest of its 85 s
    await hostile;
  }, 120_000);
});
