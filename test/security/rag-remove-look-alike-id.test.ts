/**
 * `blueprint rag remove ID` of an id no document has is "nothing to do", exit 0 (adcf3756), as
 * `bpkg remove` of a package not installed. But bpkg refuses a name no package can have (exit 2),
 * and a rag id is only ever what `rag list` shows (a UUID: printable ASCII). An id copied with a
 * look-alike letter (Cyrillic с for c), a zero-width space or a trailing space matched nothing and
 * said "rag: no document ссdda47c…, nothing to do", exit 0: on the terminal the very id of the
 * document that is still there, and its chunks still answered questions. Such an id is refused
 * (exit 3, nothing removed) with its odd characters named; a plain unknown id stays exit 0.
 */
import { describe, expect, it } from 'vitest';
import { fakeRagModule, json } from '../rag/fake-rag-module.js';

const fake = fakeRagModule('bp-rag-look-alike-');
const ID = 'ccdda47c-a68d-4b93-af82-064cee83d25d';

/** The module: one document; DELETE of its whole id only (the real one answers 404 otherwise). */
function moduleWithOneDocument() {
  fake.handler = (q, _b, res) => {
    if (q.method === 'GET')
      return json(res, 200, {
        documents: [{ id: ID, source: 'secret.md', collection: 'default', chunks: 3 }],
      });
    const id = decodeURIComponent(q.url!.slice('/v1/documents/'.length));
    return id === ID
      ? json(res, 200, { id, deleted: true, chunks: 3 })
      : json(res, 404, { error: { message: `no document ${id}` } });
  };
}

describe('rag remove of an id that only looks like a document id', () => {
  it.each([
    ['Cyrillic с for c', `\u0441\u0441dda47c`, 'U+0441'],
    ['a zero-width space inside', `ccdda\u200b47c`, 'U+200B'],
    ['a whole id with a trailing space', `${ID} `, 'U+0020'],
    ['a whole id with a Cyrillic а', ID.replace('a', '\u0430'), 'U+0430'],
  ])('%s: refused (exit 3), the odd character named, nothing said to be absent', async (_what, id, named) => {
    moduleWithOneDocument();
    const r = await fake.rag('remove', id);
    expect(r.code, r.stdout).toBe(3);
    expect(r.stdout).not.toContain('nothing to do');
    expect(r.stderr).toContain(named);
    expect(r.stderr).toContain('rag list');
    const j = await fake.rag('--json', 'remove', id);
    expect(j.code).toBe(3);
    expect(j.stdout).not.toContain('"changed":false');
    // Nothing removed: the only DELETE sent was of the id as given.
    expect(fake.seen.filter((s) => s.method === 'DELETE').every((s) => s.url !== `/v1/documents/${ID}`)).toBe(
      true,
    );
  });

  it('a plain id no document has is still nothing to do (exit 0), and the real id removes it', async () => {
    moduleWithOneDocument();
    const none = await fake.rag('remove', 'ffff0000');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('rag: no document ffff0000, nothing to do\n');
    const one = await fake.rag('remove', 'CCDDA47C');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(`removed ${ID} (3 chunks)\n`);
  });
});
