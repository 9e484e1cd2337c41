/**
 * HTML to text sections by htmlparser2: visible text by block, h1–h6 as the heading path above it.
 * Apart from parse.ts because the Word path (parse-office.ts) reads mammoth's HTML with it too.
 */
import { Parser } from 'htmlparser2';
import { Headings } from './headings.js';
import { addSection, type Parsed, ParseError, type Section, tidy } from './parse-result.js';

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'math', 'iframe', 'object']);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'aside',
  'header',
  'footer',
  'nav',
  'li',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'tr',
  'td',
  'th',
  'thead',
  'tbody',
  'blockquote',
  'pre',
  'br',
  'hr',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'details',
  'summary',
  'body',
  'html',
]);

/**
 * Elements open at once beyond this are refused. htmlparser2 looks for each close tag down its whole
 * stack of open elements, so '<div>' × N then '</span>' × N is quadratic: 40,000 of each (480 KB)
 * took 11.7 s, and 4 MiB would hold the parse worker to its budget. 3,186 pages of /usr/share/doc
 * and Rust's docs nest at most 25 deep; htmlparser2 nests deeper than a browser where HTML5 lets
 * end tags out (`<li><p>a<li><p>b` nests), hence twice Chromium's 512. At this depth unmatched
 * closes cost ~1 s a MiB (4 MiB at 512: 2.2 s), linear in the upload.
 */
export const MAX_HTML_DEPTH = 1024;

/** HTML: visible text by block, headings (h1–h6) as the path above it; scripts and styles left out. */
export function parseHtml(html: string): Parsed {
  const headings = new Headings();
  const sections: Section[] = [];
  // Elements open now: htmlparser2 reports a close (onclosetag) for every element it pops, implied
  // closes and void elements included, and none for a close tag that matches nothing, so this is
  // the depth of its stack.
  let depth = 0;
  let skipping = 0;
  let pre = 0;
  let buf = '';
  let heading: { level: number; text: string } | undefined;
  const flush = () => {
    const text = pre > 0 ? buf.trim() : tidy(buf.replace(/\s+/g, ' '));
    buf = '';
    if (text) addSection(sections, { text, page: null, heading: headings.path });
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (++depth > MAX_HTML_DEPTH)
          throw new ParseError(
            413,
            `the document is nested too deeply to parse (more than ${MAX_HTML_DEPTH} elements open at once): close the elements it opens (<p> and <li> too)`,
          );
        if (SKIP.has(name)) skipping++;
        if (skipping) return;
        const h = /^h([1-6])$/.exec(name);
        if (h) {
          flush();
          heading = { level: Number(h[1]), text: '' };
        } else if (BLOCK.has(name)) {
          if (name === 'pre') pre++;
          flush();
        }
      },
      ontext(text) {
        if (skipping) return;
        if (heading) heading.text += text;
        else buf += text;
      },
      onclosetag(name) {
        depth--;
        if (SKIP.has(name)) {
          skipping = Math.max(0, skipping - 1);
          return;
        }
        if (skipping) return;
        if (heading && /^h[1-6]$/.test(name)) {
          headings.set(heading.level, tidy(heading.text.replace(/\s+/g, ' ')));
          heading = undefined;
        } else if (BLOCK.has(name)) {
          flush();
          if (name === 'pre') pre = Math.max(0, pre - 1);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  flush();
  return { sections, pages: null };
}
