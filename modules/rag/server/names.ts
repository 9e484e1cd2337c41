/** The names a request gives rag: a collection's and a document's source, checked before any work. */
import { HttpError, MODULE_NAME } from '../../kit/server/index.js';

const COLLECTION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkCollection(c: unknown, param = 'collection'): string {
  if (c === undefined || c === null || c === '') return 'default';
  if (typeof c !== 'string' || !COLLECTION.test(c))
    throw new HttpError(
      400,
      `'${param}' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      param,
    );
  return c;
}

export function checkSource(s: unknown): string {
  if (typeof s !== 'string' || s.trim() === '')
    throw new HttpError(
      400,
      "'source' is required: a name for the document (its file name, a URL, …)",
      'source',
    );
  if (s.length > 1024 || /[\u0000-\u001f\u007f]/.test(s))
    throw new HttpError(400, "'source' must be at most 1024 characters without control characters", 'source');
  return s;
}

/**
 * Which rag this is: its module's name on the box. `BLUEPRINT_MODULE`, which the platform sets in
 * every module's environment after the manifest's (docs/module-wiring.md), so no setting passes
 * for another rag; else `RAG_MODULE_NAME` (plain processes: tests, benches); else, in the
 * platform's sandbox (a used module's socket under the wiring's /run/blueprint/uses/) of a
 * runtime from before that variable, the container's host name, the module's name too; else `rag`.
 */
export function moduleName(
  env: Record<string, string | undefined>,
  hostname: string,
  usedSocket: string,
): string {
  for (const key of ['BLUEPRINT_MODULE', 'RAG_MODULE_NAME']) {
    const set = env[key];
    if (set === undefined || set === '') continue;
    if (!MODULE_NAME.test(set))
      throw new Error(`${key} ${JSON.stringify(set)} is not a module name ([a-z0-9-], 63 at most)`);
    return set;
  }
  if (usedSocket.startsWith('/run/blueprint/uses/') && MODULE_NAME.test(hostname)) return hostname;
  return 'rag';
}

/**
 * The vectors collection a rag collection first written to by rag `module` gets: `rag-NAME` for
 * the rag module (as always), `MODULE@NAME` for a rag installed under another name. `@` is in
 * neither a module's nor a collection's name, so two rags never get the same one (with `-`, rag's
 * `fr-docs` and rag-fr's `docs` would both be `rag-fr-docs`). Once written to, a collection keeps
 * its name (store.ts records it).
 */
export const vectorsName = (module: string, collection: string): string =>
  module === 'rag' ? `rag-${collection}` : `${module}@${collection}`;

/** A 400 when `name`, the vectors collection of rag's `collection`, is over vectors' 100 bytes. */
export function checkVectorsName(collection: string, name: string): void {
  if (Buffer.byteLength(name) > 100)
    throw new HttpError(
      400,
      `collection ${collection} would be ${name} in vectors, over its 100 bytes: use a shorter name`,
      'collection',
    );
}
