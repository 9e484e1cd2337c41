/**
 * The words of `blueprint rag`: an ingest's line per file and its summary, the document table, an
 * answer's sources. Everything in them came from the rag module or from file names (untrusted):
 * one-line values go through escapeLine, so a newline or an escape in a document's name cannot
 * fake a line or redraw the terminal; the CLI escapes its whole output again on the way out.
 */
import type { IngestReport, IngestResult, RagDocument, RagSource } from '../app/index.js';
import { escapeLine } from './escape.js';
import { table } from './table.js';
import { bytes } from './units.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One file of an ingest, as it happens. */
export function ingestLine(r: IngestResult): string {
  const name = escapeLine(r.name);
  if (r.status === 'failed') {
    // The walk's own errors name the path already ('/nope: no such file or folder'): said once.
    const m = r.error.message.startsWith(`${r.name}: `)
      ? r.error.message.slice(r.name.length + 2)
      : r.error.message;
    return `${name}: failed: ${escapeLine(m)}`;
  }
  const d = r.document;
  const what = `${plural(d.chunks, 'chunk')}${d.pages ? `, ${plural(d.pages, 'page')}` : ''}`;
  return r.status === 'duplicate'
    ? `${name}: already indexed as ${escapeLine(d.id)} (same content as ${escapeLine(d.source)})`
    : `${name}: indexed as ${escapeLine(d.id)} (${what})`;
}

export function ingestSummary(r: IngestReport): string {
  const parts = [`${r.ingested} indexed`, `${plural(r.duplicates, 'duplicate')}`, `${r.failed} failed`];
  // Files of other types in the folders: counted, so that the summary does not read as every file.
  // Which types, so that a folder of .docx says what to convert: its names escaped (a file's name).
  const types = r.passedOverTypes?.length
    ? ` (${[...r.passedOverTypes.map((t) => (t ? escapeLine(t) : 'no extension')), ...(r.passedOverTypesMore ? ['…'] : [])].join(', ')})`
    : '';
  const other = r.passedOver ? `; ${plural(r.passedOver, 'file')} of other types passed over${types}` : '';
  return parts.join(', ') + other;
}

/** Ids as shown short: the fewest characters, at least MIN_ID, that no other listed id begins with. */
const MIN_ID = 8;

/**
 * Each id as its shortest start of at least MIN_ID characters that no other id of `ids` shares
 * (git's and Docker's way): what `rag remove` and `rag ask --document` take. An id that is the start
 * of another is shown whole.
 */
export function shortIds(ids: string[]): string[] {
  const shared = (a: string, b: string) => {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  };
  // Sorted, an id's longest shared start is with one of its two neighbours.
  const order = ids.map((id, i) => ({ id, i })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const out = new Array<string>(ids.length);
  order.forEach(({ id, i }, k) => {
    const most = Math.max(
      k > 0 ? shared(id, order[k - 1]!.id) : 0,
      k + 1 < order.length ? shared(id, order[k + 1]!.id) : 0,
    );
    out[i] = id.slice(0, Math.max(MIN_ID, most + 1));
  });
  return out;
}

/** `wholeIds`: ids as they are (`rag list --no-trunc`), not shortIds'. */
export function documentsTable(docs: RagDocument[], opts: { wholeIds?: boolean } = {}): string {
  if (docs.length === 0) return 'No documents.';
  const ids = opts.wholeIds ? docs.map((d) => d.id) : shortIds(docs.map((d) => d.id));
  return table([
    ['ID', 'SOURCE', 'COLLECTION', 'CHUNKS', 'PAGES', 'SIZE', 'ADDED'],
    ...docs.map((d, i) => [
      ids[i]!,
      d.source,
      d.collection,
      String(d.chunks),
      d.pages ? String(d.pages) : '-',
      d.bytes === undefined ? '-' : bytes(d.bytes),
      d.createdAt ?? '-',
    ]),
  ]);
}

/** The sources under an answer: one numbered line each, its document and page. */
export function sourcesText(sources: RagSource[]): string {
  if (sources.length === 0) return 'Sources: none (nothing indexed matched)';
  return [
    'Sources:',
    ...sources.map((s, i) => {
      const page = s.page === null ? '' : `, page ${s.page}`;
      const score = s.score === null ? '' : ` (score ${s.score.toFixed(3)})`;
      return `  ${i + 1}. ${escapeLine(s.source || s.document)}${page} [${escapeLine(s.document)}]${score}`;
    }),
  ].join('\n');
}

/**
 * What `rag remove` did: the document removed, or none had the id (removed already, meanwhile,
 * never there): nothing to do, as `bpkg remove` of a package not installed says it.
 */
export function ragRemovedText(r: { id: string; chunks: number; removed: boolean }, service = 'rag'): string {
  return r.removed
    ? `removed ${escapeLine(r.id)} (${r.chunks} chunks)`
    : `${escapeLine(service)}: no document ${escapeLine(r.id)}, nothing to do`;
}
