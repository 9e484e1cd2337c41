import { describe, expect, it } from 'vitest';
import type { RagDocument } from '../../src/app/rag-shapes.js';
import { documentsTable, shortIds } from '../../src/present/rag.js';

/**
 * `rag remove` and `rag ask --document` take the start of an id that no other id begins with, as
 * git and Docker do, but `rag list` showed each whole 36-character UUID: the table was wider than
 * a console's 80 columns before the source was. It now shows each id as its shortest start of at
 * least 8 characters that no other listed id shares (Docker shows 12 of 64); --json keeps them whole.
 */
const doc = (id: string, source = 'notes.md'): RagDocument => ({
  id,
  source,
  collection: 'default',
  sha256: '0'.repeat(64),
  chunks: 3,
  pages: null,
  bytes: 1200,
  createdAt: '2026-12-06T18:00:00Z',
});

describe('rag list: ids as short as they stay unique', () => {
  it('8 characters when no other id begins so; longer where two share a start', () => {
    const ids = [
      'ccdda47c-1111-4a2b-9c3d-000000000001',
      '5b0e1f2a-2222-4a2b-9c3d-000000000002',
      '5b0e1f2a-3333-4a2b-9c3d-000000000003',
      '5b0e1f2a-2229-4a2b-9c3d-000000000004',
    ];
    expect(shortIds(ids)).toEqual(['ccdda47c', '5b0e1f2a-2222', '5b0e1f2a-3', '5b0e1f2a-2229']);
    // Each short id is a start of its own id and of no other: what `rag remove` takes.
    for (const [i, s] of shortIds(ids).entries())
      expect(ids.filter((id) => id.startsWith(s))).toEqual([ids[i]]);
  });

  it('an id shorter than 8, or one that is the start of another, is shown whole', () => {
    expect(shortIds(['abc', 'abcdefghij', 'abcdefghijk'])).toEqual(['abc', 'abcdefghij', 'abcdefghijk']);
  });

  it('the table shows the short ids', () => {
    const text = documentsTable([doc('ccdda47c-1111-4a2b-9c3d-000000000001')]);
    const row = text.split('\n')[1]!;
    expect(row.startsWith('ccdda47c ')).toBe(true);
    expect(text).not.toContain('1111-4a2b');
    // --no-trunc: whole.
    expect(documentsTable([doc('ccdda47c-1111-4a2b-9c3d-000000000001')], { wholeIds: true })).toContain(
      'ccdda47c-1111-4a2b-9c3d-000000000001 ',
    );
  });
});
