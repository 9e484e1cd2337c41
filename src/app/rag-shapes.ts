/**
 * The shapes of the rag module's answers, checked (what it answers is untrusted), and what is sent
 * as a document's source, and the types of what rag.ts gives: the pure part of ./rag.ts.
 */
import { type ModuleApi, ModuleApiError } from './module-api.js';

export interface RagDocument {
  id: string;
  source: string;
  collection: string;
  sha256: string;
  chunks: number;
  /** A PDF's pages; null for a document without pages (text, Markdown, HTML), as the module says. */
  pages: number | null;
  bytes?: number;
  /** pdf, html, markdown or text, as the module read it. */
  kind?: string;
  createdAt?: string;
}

/** One file of an ingest: sent and indexed, already there (same content), or failed (with why). */
export type IngestResult =
  | {
      name: string;
      status: 'ingested' | 'duplicate';
      document: RagDocument;
      /** 'ingested' only: documents of the same source and collection, other content, still answered from. */
      earlier?: RagDocument[];
    }
  | { name: string; status: 'failed'; error: { code: string; message: string; hint?: string } };

export interface IngestReport {
  files: IngestResult[];
  ingested: number;
  duplicates: number;
  failed: number;
  /** Files of other types below the folders named, not sent (a file named is refused instead). */
  passedOver: number;
  /**
   * Their types, sorted, each once: lower-case extensions ('' for none), at most 5;
   * passedOverTypesMore when the folders held files of further types.
   */
  passedOverTypes: string[];
  passedOverTypesMore?: true;
}

export interface RagSource {
  document: string;
  source: string;
  page: number | null;
  score: number | null;
}

export interface RagAnswer {
  answer: string;
  sources: RagSource[];
  finishReason: string | null;
}

export const str = (v: unknown): v is string => typeof v === 'string';
export const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function bad(api: ModuleApi, what: string): never {
  throw new ModuleApiError(api.name, 200, `answered ${what} in an unexpected shape`, 'module-bad-answer');
}

export function toDocument(api: ModuleApi, d: unknown): RagDocument {
  const o = (d ?? {}) as Record<string, unknown>;
  if (!str(o.id) || !str(o.source) || !num(o.chunks)) bad(api, 'a document');
  return {
    id: o.id,
    source: o.source,
    collection: str(o.collection) ? o.collection : 'default',
    sha256: str(o.sha256) ? o.sha256 : '',
    chunks: o.chunks,
    pages: num(o.pages) ? o.pages : null,
    ...(num(o.bytes) ? { bytes: o.bytes } : {}),
    ...(str(o.kind) ? { kind: o.kind } : {}),
    ...(str(o.createdAt) ? { createdAt: o.createdAt } : {}),
  };
}

export function toSources(api: ModuleApi, v: unknown): RagSource[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) bad(api, 'sources');
  return v.map((s) => {
    const o = (s ?? {}) as Record<string, unknown>;
    if (!str(o.document)) bad(api, 'a source');
    return {
      document: o.document,
      source: str(o.source) ? o.source : '',
      page: num(o.page) ? o.page : null,
      score: num(o.score) ? o.score : null,
    };
  });
}

export const query = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export const messageOf = (e: unknown) =>
  String((e as { message?: unknown })?.message ?? 'failed while answering').slice(0, 500);

// The source as the module takes it (<= 1024 characters, no controls: a name with a newline was
// refused): controls made visible as the CLI prints them (`\x0a`), a long path kept by its end.
export function sourceOf(name: string): string {
  const s = name.replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return s.length > 1024 ? `…${s.slice(-1023)}` : s;
}
