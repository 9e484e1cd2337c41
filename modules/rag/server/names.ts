/** The names a request gives rag: a collection's and a document's source, checked before any work. */
import { HttpError } from '../../kit/server/index.js';

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
