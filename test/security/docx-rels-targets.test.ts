/**
 * rag 0.4.0 reads a .docx's styles and notes where word/_rels/document.xml.rels names them
 * (modules/rag/server/parse-docx-rels.ts). A Target is the uploader's text. Guards (REVIEW12, found
 * sound): whatever it says resolves to an archive entry name or to nothing; a climb above the
 * archive, percent-encoded or not, an absolute path, a URL, a backslash, an external target and a
 * name no entry has are nothing; the first relationship of a type decides (thousands after it are
 * not looked at); a target naming the main part itself is read as that part, under the same
 * inflated-bytes cap as every read (parse-zip.ts counts each read).
 */
import { describe, expect, it } from 'vitest';
import { relatedParts, resolveTarget } from '../../modules/rag/server/parse-docx-rels.js';

const MAIN = 'word/document.xml';
const NOTES = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes';
const rels = (...r: string[]) =>
  `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${r.join('')}</Relationships>`;
const rel = (target: string, extra = '') =>
  `<Relationship Id="r" Type="${NOTES}" Target="${target}"${extra}/>`;

describe('a .docx relationship target', () => {
  it.each([
    ['../../etc/passwd', undefined],
    ['%2e%2e/%2e%2e/etc/passwd', undefined],
    ['..%2f..%2fx.xml', undefined],
    ['..\\..\\x.xml', undefined],
    ['notes\\fn.xml', undefined],
    ['file:///etc/passwd', undefined],
    ['https://attacker.example/x.xml', undefined],
    ['%', undefined],
    ['', undefined],
    ['..', undefined],
    ['/', undefined],
    ['notes/fn1.xml', 'word/notes/fn1.xml'],
    ['../word/footnotes.xml', 'word/footnotes.xml'],
    ['/word/footnotes.xml', 'word/footnotes.xml'],
    ['./a/../footnotes.xml', 'word/footnotes.xml'],
    ['%252e%252e/x.xml', 'word/%2e%2e/x.xml'],
    ['document.xml', 'word/document.xml'],
  ])('%j resolves to %j', (target, want) => {
    expect(resolveTarget(MAIN, target)).toBe(want);
  });

  it('external, absent or outside: no part of that type is read (not the fixed name either)', () => {
    const all = () => true;
    expect(
      relatedParts(MAIN, rels(rel('footnotes.xml', ' TargetMode="External"')), all).has('footnotes'),
    ).toBe(false);
    expect(
      relatedParts(MAIN, rels(rel('gone.xml')), (n) => n === 'word/footnotes.xml').has('footnotes'),
    ).toBe(false);
    expect(relatedParts(MAIN, rels(rel('../../footnotes.xml')), all).has('footnotes')).toBe(false);
  });

  it('the first of a type decides; 20,000 more are not followed', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => rel(`n${i}.xml`)).join('');
    const asked: string[] = [];
    const parts = relatedParts(MAIN, rels(rel('first.xml'), many), (n) => {
      asked.push(n);
      return true;
    });
    expect(parts.get('footnotes')).toBe('word/first.xml');
    expect(asked).toEqual(['word/first.xml']);
  });
});
