/**
 * Where a Word document's styles, footnotes and endnotes are: OOXML names them by the main part's
 * relationships (word/_rels/document.xml.rels: a Relationship of type …/footnotes with a Target
 * relative to the main part's folder), not by fixed part names. Word and pandoc write
 * word/footnotes.xml, but another writer may call the part anything (word/notes/fn1.xml), and a
 * reader of fixed names then loses every note.
 *
 * Bounded and kept inside the archive: the first 1 MiB of the relationships is read, the first
 * relationship of each type kept; an external target (TargetMode="External"), one whose `..` climb
 * above the archive's root, or one naming no entry is ignored (no part of that type is read), never
 * followed out: the archive is in memory and its names are only keys (parse-zip.ts).
 */
import { Parser } from 'htmlparser2';

/** The relationship types read, by the last segment of their URI (transitional and strict OOXML). */
export type DocxPartType = 'styles' | 'footnotes' | 'endnotes';
const TYPES = new Set<string>(['styles', 'footnotes', 'endnotes']);

const MAX_RELS_CHARS = 1024 * 1024;

/** The relationships part of `main` ("word/document.xml" → "word/_rels/document.xml.rels"). */
export function relsPartOf(main: string): string {
  const slash = main.lastIndexOf('/');
  return `${main.slice(0, slash + 1)}_rels/${main.slice(slash + 1)}.rels`;
}

/**
 * A Target resolved against the main part's folder to an archive entry name, or undefined when it
 * leaves the archive (more `..` than folders), is empty, or is not a part name (a URL with a scheme).
 */
export function resolveTarget(main: string, target: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(target.split(/[?#]/)[0]!);
  } catch {
    return undefined;
  }
  if (!decoded || /^[a-z][a-z0-9+.-]*:/i.test(decoded) || decoded.includes('\\')) return undefined;
  const base = decoded.startsWith('/') ? [] : main.split('/').slice(0, -1);
  const path = [...base];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (path.length === 0) return undefined; // above the root: outside the archive
      path.pop();
    } else path.push(segment);
  }
  return path.length ? path.join('/') : undefined;
}

/**
 * The part of each type the relationships name, as archive entry names (`exists` decides whether
 * one is there). A type absent from the map has no part: none is read.
 */
export function relatedParts(
  main: string,
  relsXml: string,
  exists: (name: string) => boolean,
): Map<DocxPartType, string> {
  const parts = new Map<DocxPartType, string>();
  const seen = new Set<string>();
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name !== 'relationship' && !name.endsWith(':relationship')) return;
        const type = (attrs.type ?? '').slice((attrs.type ?? '').lastIndexOf('/') + 1);
        if (!TYPES.has(type) || seen.has(type)) return;
        seen.add(type); // the first of a type decides, found or not
        if ((attrs.targetmode ?? '').toLowerCase() === 'external') return;
        const part = resolveTarget(main, attrs.target ?? '');
        if (part !== undefined && exists(part)) parts.set(type as DocxPartType, part);
      },
    },
    { xmlMode: false, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(relsXml.slice(0, MAX_RELS_CHARS));
  parser.end();
  return parts;
}
