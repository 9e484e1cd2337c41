import { describe, expect, it } from 'vitest';
import { ingestLine } from '../../src/present/rag.js';

/**
 * `blueprint rag ingest /nope` printed 'error: /nope: failed: /nope: no such file or folder': the
 * walk's message names the path already. Said once.
 */
describe('an ingest line for a file that failed', () => {
  it('names the file once when its error already starts with it', () => {
    const line = ingestLine({
      name: '/nope',
      status: 'failed',
      error: { code: 'not-found', message: '/nope: no such file or folder' },
    });
    expect(line).toBe('/nope: failed: no such file or folder');
  });

  it('keeps an error that does not name it', () => {
    const line = ingestLine({
      name: 'docs/b.html',
      status: 'failed',
      error: { code: 'rag', message: 'not today' },
    });
    expect(line).toBe('docs/b.html: failed: not today');
  });
});
