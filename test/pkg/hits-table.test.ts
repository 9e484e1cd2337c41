/**
 * `bpkg search`'s table (src/cli/commands/pkg-quick.ts hitsTable): the same text as the shared
 * table() with a newline, whether its cells take the joined path (all printable ASCII) or not
 * (anything a terminal could act on is escaped, one cell on one line).
 */
import { describe, expect, it } from 'vitest';
import type { SearchHit } from '../../src/app/pkg-quick.js';
import { hitsTable } from '../../src/cli/commands/pkg-quick.js';
import { table } from '../../src/present/table.js';

const viaTable = (hits: SearchHit[]) =>
  `${table([
    ['NAME', 'VERSION', 'REPO', 'SUMMARY'],
    ...hits.map((h) => [
      h.name,
      h.version + (h.installed ? ` [installed ${h.installed}]` : ''),
      h.repo,
      h.summary,
    ]),
  ])}\n`;

const many: SearchHit[] = Array.from({ length: 1500 }, (_, i) => ({
  name: `pkg-${i}`,
  version: `1.${i % 50}.0`,
  summary: `Synthetic package number ${i} for vision workloads`,
  repo: i % 3 ? 'main' : 'a-much-longer-repository',
  ...(i % 11 ? {} : { installed: `0.${i}.0` }),
}));

describe('hitsTable', () => {
  it('is table() and a newline for printable ASCII cells: padding, installed versions, widths', () => {
    expect(hitsTable(many)).toBe(viaTable(many));
    const one: SearchHit[] = [{ name: 'a', version: '1', summary: '', repo: 'r' }];
    expect(hitsTable(one)).toBe(viaTable(one));
    expect(hitsTable(one)).toBe('NAME  VERSION  REPO  SUMMARY\na     1        r     \n');
  });

  it('escapes what a terminal would act on, one cell on one line, exactly as table()', () => {
    for (const summary of [
      'red \x1b[31m text',
      'two\nlines',
      'tab\there',
      'del \x7f',
      'bidi \u202e',
      'Última vez',
    ]) {
      const hits = [...many.slice(0, 3), { name: 'odd', version: '1.0.0', summary, repo: 'main' }];
      const text = hitsTable(hits);
      expect(text, summary).toBe(viaTable(hits));
      expect(text.split('\n'), summary).toHaveLength(hits.length + 2);
      expect(text, summary).not.toMatch(/[\x1b\t\x7f\u202e]/);
    }
  });
});
