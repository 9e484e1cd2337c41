/**
 * REVIEW11 (found sound): the shapes of a .docx's notes parts an attacker chooses, through
 * parseDocxXml (RAGDOCX2). A note that cites itself, notes nested in notes, and a reference
 * naming a note that is not there are read at most once, without recursion (an inner note ends
 * the outer one: the outer's text is lost, a reader's loss, not a bound's); nesting past the
 * parsers' depth bound is the document's 413, in the notes part as in the body; a million
 * references keep at most MAX_NOTE_REFERENCES heading paths.
 */
import { describe, expect, it } from 'vitest';
import { MAX_NOTE_REFERENCES, parseDocxXml } from '../../modules/rag/server/parse-docx.js';
import { MAX_HTML_DEPTH } from '../../modules/rag/server/parse-html.js';
import { ParseError } from '../../modules/rag/server/parse-result.js';
import { docxHeading, docxParagraph, W_NAMESPACE } from '../helpers/office-documents.js';

const W = W_NAMESPACE;
const doc = (body: string) => `<w:document ${W}><w:body>${body}</w:body></w:document>`;
const notes = (inner: string) => `<w:footnotes ${W}>${inner}</w:footnotes>`;
const para = docxParagraph;
const heading = (text: string) => docxHeading(0, text);
const cite = (id: string) => `<w:p><w:r><w:t>see</w:t><w:footnoteReference w:id="${id}"/></w:r></w:p>`;

describe('a .docx notes part of hostile shape', () => {
  it('a note citing itself is one section, read once', () => {
    const footnotes = notes(
      `<w:footnote w:id="1"><w:p><w:r><w:t>loop</w:t><w:footnoteReference w:id="1"/></w:r></w:p></w:footnote>`,
    );
    const p = parseDocxXml(doc(`${heading('Tides')}${cite('1')}`), { footnotes });
    expect(p.sections.filter((s) => s.text.includes('loop'))).toEqual([
      { text: 'loop', page: null, heading: 'Tides > Notes' },
    ]);
  });

  it('notes nested in notes are read as text, each at most once, and a reference to no note adds nothing', () => {
    const footnotes = notes(
      `<w:footnote w:id="1">${para('outer')}<w:footnote w:id="2">${para('inner')}</w:footnote>${para('after')}</w:footnote>`,
    );
    const p = parseDocxXml(doc(`${cite('1')}${cite('99')}`), { footnotes });
    const texts = p.sections.map((s) => s.text).join('\n');
    for (const word of ['outer', 'inner', 'after'])
      expect(texts.split(word).length - 1, word).toBeLessThanOrEqual(1);
    expect(p.sections.length).toBeLessThanOrEqual(4);
  });

  it('nesting past the depth bound in the notes part is a 413, not a stack overflow', () => {
    const deep = `${'<w:r>'.repeat(MAX_HTML_DEPTH + 10)}x${'</w:r>'.repeat(MAX_HTML_DEPTH + 10)}`;
    const footnotes = notes(`<w:footnote w:id="1"><w:p>${deep}</w:p></w:footnote>`);
    let caught: unknown;
    try {
      parseDocxXml(doc(cite('1')), { footnotes });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).status).toBe(413);
  });

  it('a million references keep at most MAX_NOTE_REFERENCES paths; later notes go under "Notes"', () => {
    const refs = Array.from({ length: 1_000_000 }, (_, i) => `<w:footnoteReference w:id="${i}"/>`).join('');
    const footnotes = notes(`<w:footnote w:id="999999">${para('last')}</w:footnote>`);
    const p = parseDocxXml(doc(`${heading('H')}<w:p><w:r>${refs}</w:r></w:p>`), { footnotes });
    expect(MAX_NOTE_REFERENCES).toBeLessThan(1_000_000);
    expect(p.sections.find((s) => s.text === 'last')?.heading).toBe('Notes');
  });
});
