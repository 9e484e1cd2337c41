import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { docFiles, repo } from './doc-files.js';

/**
 * Every relative link in the docs a user reads (README.md, ARCHITECTURE.md, docs/*.md, the modules'
 * and the image's READMEs) reaches a file of the repository, and every #anchor a heading (or an
 * `<a id>`) of the file it names, as GitHub makes them. No network: http(s) and mailto links are
 * left alone. A renamed heading or a moved file fails here instead of in a reader's browser.
 */
interface Link {
  href: string;
  line: number;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** A heading's text as GitHub sees it: code spans' text, links' text, no emphasis marks. */
function plainText(tokens: Token[] | undefined): string {
  let text = '';
  for (const token of tokens ?? []) {
    if ('tokens' in token && token.tokens) text += plainText(token.tokens);
    else if (token.type === 'html') continue;
    else if ('text' in token) text += decodeEntities(String(token.text));
  }
  return text;
}

/** GitHub's slug: lower case, punctuation dropped (letters, digits, _ and - kept), spaces to -. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

interface Parsed {
  anchors: Set<string>;
  links: Link[];
}
const parsedCache = new Map<string, Parsed>();

function parse(file: string): Parsed {
  const cached = parsedCache.get(file);
  if (cached) return cached;
  const source = readFileSync(file, 'utf8');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const links: Link[] = [];
  // Where the text was found last: a link's line is where its own text follows its block's start.
  let offset = 0;
  const lineAt = (raw: string) => {
    const at = source.indexOf(raw, offset);
    if (at >= 0) offset = at;
    return at < 0 ? 0 : source.slice(0, at).split('\n').length;
  };
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'heading') {
        const base = slug(plainText((token as Tokens.Heading).tokens));
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        anchors.add(n === 0 ? base : `${base}-${n}`);
      }
      if (token.type === 'html') {
        for (const m of String(token.raw).matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] ?? '');
        for (const m of String(token.raw).matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"/g)) {
          links.push({ href: m[1] ?? '', line: lineAt(m[0]) });
        }
      }
      if (token.type === 'link' || token.type === 'image') {
        links.push({ href: decodeEntities((token as Tokens.Link).href), line: lineAt(token.raw) });
      }
      if ('tokens' in token && token.tokens) visit(token.tokens);
      if (token.type === 'list') for (const item of (token as Tokens.List).items) visit(item.tokens);
      if (token.type === 'table') {
        const table = token as Tokens.Table;
        for (const cell of [...table.header, ...table.rows.flat()]) visit(cell.tokens);
      }
    }
  };
  for (const block of Lexer.lex(source)) {
    lineAt(block.raw);
    const end = offset + block.raw.length;
    visit([block]);
    offset = end;
  }
  const parsed = { anchors, links };
  parsedCache.set(file, parsed);
  return parsed;
}

function brokenLinks(doc: string, root = repo): string[] {
  const file = path.join(root, doc);
  const broken: string[] = [];
  for (const { href, line } of parse(file).links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http(s), mailto: not followed here
    const [target, anchor] = href.split('#', 2);
    const targetFile = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
    const where = `${doc}:${line}: (${href})`;
    if (!targetFile.startsWith(root)) {
      broken.push(`${where} leaves the repository`);
      continue;
    }
    if (!existsSync(targetFile)) {
      broken.push(`${where} ${path.relative(root, targetFile)} does not exist`);
      continue;
    }
    if (
      anchor === undefined ||
      anchor === '' ||
      !targetFile.endsWith('.md') ||
      statSync(targetFile).isDirectory()
    )
      continue;
    if (/^L\d+(-L\d+)?$/.test(anchor)) continue; // a line of a file
    if (!parse(targetFile).anchors.has(decodeURIComponent(anchor).toLowerCase())) {
      broken.push(`${where} no heading #${anchor} in ${path.relative(root, targetFile)}`);
    }
  }
  return broken;
}

describe('the docs links', () => {
  it('finds the docs and their links (the checker reads what it should)', () => {
    const all = docFiles();
    expect(all).toContain('README.md');
    expect(all).toContain('docs/fleet.md');
    expect(all).toContain('modules/rag/README.md');
    const total = all.reduce((n, doc) => n + parse(path.join(repo, doc)).links.length, 0);
    expect(total).toBeGreaterThan(50);
  });

  it('makes anchors as GitHub does', () => {
    expect(slug('What works on our machines (Debian 12, x86-64)')).toBe(
      'what-works-on-our-machines-debian-12-x86-64',
    );
    expect(slug('`bpkg repo add`: a repository')).toBe('bpkg-repo-add-a-repository');
    expect(slug('Ré-sumé & more')).toBe('ré-sumé--more');
  });

  it('names a missing file, a missing heading and a link out of the tree (seen failing on a fixture)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'docs-links-'));
    try {
      mkdirSync(path.join(root, 'docs'));
      writeFileSync(path.join(root, 'docs/b.md'), '# Set up a box\n\n## Set up a box\n<a id="kept"></a>\n');
      writeFileSync(
        path.join(root, 'docs/a.md'),
        [
          '# A',
          'Good: [b](b.md), [b](b.md#set-up-a-box), [again](b.md#set-up-a-box-1), [id](b.md#kept), [self](#a).',
          '',
          '| x | [gone](gone.md) |',
          '|---|---|',
          '| y | [heading](b.md#set-up) |',
          '',
          '- [out](../../etc/passwd) and [web](https://example.org/x#y)',
          '',
          '```sh',
          'echo [not a link](nothing.md)',
          '```',
        ].join('\n'),
      );
      expect(brokenLinks('docs/a.md', root)).toEqual([
        'docs/a.md:4: (gone.md) docs/gone.md does not exist',
        'docs/a.md:6: (b.md#set-up) no heading #set-up in docs/b.md',
        'docs/a.md:8: (../../etc/passwd) leaves the repository',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(docFiles())('%s: every relative link and #anchor resolves', (doc) => {
    expect(brokenLinks(doc)).toEqual([]);
  });
});
