/**
 * REVIEW15, a guard on REVIEW14's look-alike fixes (a268d506 rag remove, 6281b06c dashboard repo
 * remove): the characters that draw as nothing on a terminal beside those REVIEW14 tried (tag
 * characters U+E0000.., variation selectors U+FE00..FE0F and U+E0100.., the invisible operators
 * U+2060..2064, the Hangul filler U+3164, a soft hyphen). Both checks are allow-lists (printable
 * ASCII for a rag id, repo-config's pattern for a repository name), so none reaches "nothing to do":
 * rag remove refuses exit 3 naming the character; a repository name with one is no repository name.
 * Found sound: these pass on a268d506/6281b06c as they are.
 */
import { describe, expect, it } from 'vitest';
import { isRepositoryName } from '../../src/app/repos.js';
import { fakeRagModule, json } from '../rag/fake-rag-module.js';

const fake = fakeRagModule('bp-review15-invisible-');
const ID = 'ccdda47c-a68d-4b93-af82-064cee83d25d';

const INVISIBLE: [string, string][] = [
  ['tag letter c', '\u{E0063}'],
  ['cancel tag', '\u{E007F}'],
  ['variation selector 16', '\uFE0F'],
  ['variation selector 17', '\u{E0100}'],
  ['word joiner', '\u2060'],
  ['invisible plus', '\u2064'],
  ['Hangul filler', '\u3164'],
  ['soft hyphen', '\u00AD'],
];

const codeOf = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

describe('invisible characters in what a remove names', () => {
  it.each(INVISIBLE)(
    'rag remove of an id with a %s: refused (exit 3), named, nothing removed',
    async (_w, c) => {
      fake.handler = (q, _b, res) => {
        if (q.method === 'GET')
          return json(res, 200, {
            documents: [{ id: ID, source: 'secret.md', collection: 'default', chunks: 3 }],
          });
        return json(res, 404, { error: { message: 'no such document' } });
      };
      const r = await fake.rag('remove', `ccdda${c}47c`);
      expect(r.code, r.stdout).toBe(3);
      expect(r.stdout).not.toContain('nothing to do');
      expect(r.stderr).toContain(codeOf(c));
      expect(fake.seen.some((s) => s.method === 'DELETE' && s.url === `/v1/documents/${ID}`)).toBe(false);
    },
  );

  it.each(INVISIBLE)('a repository name with a %s is no repository name', (_w, c) => {
    expect(isRepositoryName('main')).toBe(true);
    expect(isRepositoryName(`ma${c}in`)).toBe(false);
    expect(isRepositoryName(`main${c}`)).toBe(false);
  });
});
