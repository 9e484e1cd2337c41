/**
 * A rag document named as people copy it: its whole id, or the start of it that no other id
 * begins with, as git and Docker take ids (`rag remove ccdda47c`). The module's API takes whole
 * ids only (PrivateGPT's and Qdrant's do too); the start is resolved here against its list.
 *
 * The ids and sources are the module's answer (untrusted): front ends escape the messages.
 */
import { BlueprintError, ExitCode, NotFoundError, UsageError } from '../core/errors.js';
import { shellWord } from '../core/system/shell-word.js';
import type { ModuleApi } from './module-api.js';
import { bad, type RagDocument, toDocument } from './rag-shapes.js';

/** How many of the documents an ambiguous start names in its message. */
const NAMED = 5;

/** Said when no document's id is or begins with `id`. */
export const noDocumentHint = (id: string) =>
  `No document's id is or begins with ${id}: \`blueprint rag list\` shows the documents and their ids.`;

/**
 * The characters of `id` outside printable ASCII, as `U+0441, U+200B`; undefined when none. rag's ids
 * are UUIDs, and any id a module issues was matched already by the time this is asked.
 */
export function unlikeAnyId(id: string): string | undefined {
  const odd = [...new Set(id.match(/[^\x21-\x7e]/gu) ?? [])];
  if (odd.length === 0) return undefined;
  return odd.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(', ');
}

/**
 * The document whose id is `id`, or else the one whose id begins with it (letter case aside).
 * NotFound (exit 3) when none; exit 2 naming them when several do.
 */
export function documentByIdStart(module: string, docs: RagDocument[], id: string): RagDocument {
  if (!id)
    throw new UsageError('A document id is empty', '`blueprint rag list` shows the documents and their ids.');
  const exact = docs.find((d) => d.id === id);
  if (exact) return exact;
  const start = id.toLowerCase();
  const begun = docs.filter((d) => d.id.toLowerCase().startsWith(start));
  if (begun.length === 1) return begun[0]!;
  if (begun.length === 0) throw new NotFoundError(`${module}: no document ${id}`, noDocumentHint(id));
  const named = begun
    .slice(0, NAMED)
    .map((d) => `${d.id} (${d.source})`)
    .join(', ');
  const more = begun.length > NAMED ? ` and ${begun.length - NAMED} more` : '';
  throw new BlueprintError(
    `${module}: ${begun.length} documents have ids that begin ${id}: ${named}${more}`,
    'ambiguous-id',
    'Give more of the id, enough that only one begins with it (`blueprint rag list` shows them whole).',
    ExitCode.usage,
  );
}

/**
 * `rag ask --document` of a document in another collection than the one asked: its chunks are
 * never searched there, and the answer would be the model's alone.
 */
function elsewhereError(module: string, d: RagDocument, asked: string): BlueprintError {
  return new BlueprintError(
    `${module}: document ${d.id} (${d.source}) is in the collection ${d.collection}, not ${asked}`,
    'document-elsewhere',
    `Ask it with --collection ${shellWord(d.collection)}; \`blueprint rag list\` shows each document's collection.`,
    ExitCode.usage,
  );
}

/**
 * `--document` as given (a whole id or the start of one), as the module's document; a document
 * of another collection than the one asked (its chunks never searched there) refused.
 */
export async function wholeDocument(
  client: ModuleApi,
  id: string,
  opts: { collection?: string; signal?: AbortSignal },
): Promise<RagDocument> {
  const r = await client.request<{ documents?: unknown }>('GET', '/v1/documents', {
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!Array.isArray(r.body?.documents)) bad(client, 'the document list');
  const d = documentByIdStart(
    client.name,
    r.body.documents.map((x) => toDocument(client, x)),
    id,
  );
  // The module's default collection when none is named (modules/rag/README.md).
  const asked = opts.collection || 'default';
  if (d.collection !== asked) throw elsewhereError(client.name, d, asked);
  return d;
}
