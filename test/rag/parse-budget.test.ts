/**
 * The parse budget's arithmetic and its watchdog for the synchronous parsers (budget.ts). The PDF
 * side needs the bundle's patched pdf.js: test/security/rag-parse-budget.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseBudget, syncWithin } from '../../modules/rag/server/budget.js';
import { ParseError, parseDocument, parseMarkdown } from '../../modules/rag/server/parse.js';

const refuse = (m: string) => new ParseError(413, m);
const KiB = 1024;
const MiB = 1024 * KiB;

describe('parseBudget', () => {
  it('grows with the document, at most RAG_PARSE_TIMEOUT_S', () => {
    const s = (kind: 'pdf' | 'markdown', size: number, cap = 300) =>
      parseBudget(kind, size, cap, 10, refuse).ms / 1000;
    expect(s('markdown', 100 * KiB)).toBeCloseTo(5 + 22 * (100 / 1024), 1);
    expect(s('pdf', 5 * KiB)).toBeLessThan(16);
    expect(s('pdf', 4.8 * MiB)).toBe(300);
    expect(s('pdf', 2.9 * MiB)).toBeCloseTo(15 + 70 * 2.9, 1);
    expect(s('pdf', 32 * MiB, 60)).toBe(60);
  });

  it('its 413 says what the document got and what to do', () => {
    const e = parseBudget('markdown', 512 * KiB, 300, 10, refuse).late() as ParseError;
    expect(e.status).toBe(413);
    expect(e.message).toMatch(
      /longer than 16\.0 s to parse, the time a markdown document of 0\.50 MiB gets here \(RAG_PARSE_MARGIN 10 × \(0\.5 s \+ 2\.2 s a MiB\), at most RAG_PARSE_TIMEOUT_S, 300 s\): split it or simplify it/,
    );
  });
});

describe('syncWithin', () => {
  it('stops marked past the budget (98 KB of `_a` takes ~15 s), and the thread parses the next document', () => {
    const budget = { ms: 300, late: () => refuse('late') };
    const started = Date.now();
    expect(() => syncWithin(budget, () => parseMarkdown('_a'.repeat(50_000)))).toThrow('late');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(syncWithin(budget, () => parseMarkdown('# T\n\nsome *text*')).sections).toEqual([
      { text: 'some *text*', page: null, heading: 'T' },
    ]);
  });

  it("passes the parser's own errors through: nested block quotes are still their 413", async () => {
    const budget = parseBudget('markdown', 40 * KiB, 300, 10, refuse);
    await expect(
      parseDocument('markdown', Buffer.from('> '.repeat(20_000)), 1, undefined, budget),
    ).rejects.toMatchObject({ status: 413, message: /nested too deeply/ });
    await expect(
      parseDocument('text', Buffer.from([0x66, 0xff]), 1, undefined, budget),
    ).rejects.toMatchObject({
      status: 400,
    });
  });
});
