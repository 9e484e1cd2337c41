/**
 * The shapes of the rag module's answers, checked (what it answers is untrusted), and what is sent
 * as a document's source: the pure part of ./rag.ts.
 */
import { type ModuleApi, ModuleApiError } from './module-api.js';
import type { RagDocument, RagSource } from './rag.js';

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
