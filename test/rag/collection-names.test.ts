/**
 * Which vectors collection holds a rag collection (names.ts, store.ts): named from the rag's module
 * name, recorded before the first write and kept; a data folder from before the record keeps the
 * `rag-NAME` collections its documents are in, whatever the module's name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVectorsName, moduleName, vectorsName } from '../../modules/rag/server/names.js';
import { Store } from '../../modules/rag/server/store.js';
import { tempDir } from '../setup/temp-registry.js';

describe('rag: its module name and its collections in vectors', () => {
  it('the module name: BLUEPRINT_MODULE, else RAG_MODULE_NAME, else the sandbox host name, else rag', () => {
    const uses = '/run/blueprint/uses/vec/api.sock';
    // The runtime's variable first (src/core/services/policy.ts): a setting cannot pass for another rag.
    expect(moduleName({ BLUEPRINT_MODULE: 'rag-de', RAG_MODULE_NAME: 'rag' }, 'rag-x', uses)).toBe('rag-de');
    expect(moduleName({ BLUEPRINT_MODULE: 'rag-de' }, 'devbox', '/tmp/x/vectors.sock')).toBe('rag-de');
    expect(() => moduleName({ BLUEPRINT_MODULE: 'Bad' }, 'box', uses)).toThrow(/not a module name/);
    expect(moduleName({ RAG_MODULE_NAME: 'rag-fr' }, 'box', uses)).toBe('rag-fr');
    expect(moduleName({}, 'rag-e2e-12', uses)).toBe('rag-e2e-12');
    // A plain process (tests, benches): the machine's host name is not the module's.
    expect(moduleName({}, 'devbox', '/tmp/x/vectors.sock')).toBe('rag');
    expect(moduleName({}, 'Not_A.Module', uses)).toBe('rag');
    expect(() => moduleName({ RAG_MODULE_NAME: 'bad@name' }, 'box', uses)).toThrow(/not a module name/);
  });

  it('names never meet between two rags: rag-NAME for rag, MODULE@NAME for another', () => {
    expect(vectorsName('rag', 'default')).toBe('rag-default');
    expect(vectorsName('rag', 'fr-docs')).toBe('rag-fr-docs');
    expect(vectorsName('rag-fr', 'docs')).toBe('rag-fr@docs');
    // vectors takes 100 bytes of name: a long module name and a long collection name are a 400.
    const long = 'c'.repeat(64);
    expect(() => checkVectorsName(long, vectorsName('rag', long))).not.toThrow();
    expect(() => checkVectorsName(long, vectorsName('r'.repeat(40), long))).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/over its 100 bytes/) }),
    );
  });

  it('a data folder from before the record keeps rag-NAME for its collections; new ones get the module name', async () => {
    const dir = tempDir('bp-rag-names-');
    const doc = (id: string, collection: string) => ({
      id,
      source: `${id}.md`,
      collection,
      sha256: '0'.repeat(64),
      chunks: 1,
      pages: null,
      bytes: 1,
      kind: 'text',
      createdAt: '2026-12-01T00:00:00.000Z',
    });
    writeFileSync(
      join(dir, 'documents.json'),
      JSON.stringify({ documents: [doc('00000000-0000-4000-8000-000000000001', 'default')] }),
    );
    const s = await Store.open(dir, (c) => vectorsName('rag-fr', c));
    expect(s.vectorsName('default')).toBe('rag-default');
    expect(s.vectorsName('new')).toBe('rag-fr@new');
    expect(s.collections()).toEqual([['default', 'rag-default']]);
    // Written back: still known once the collection's last document is gone.
    expect(JSON.parse(readFileSync(join(dir, 'documents.json'), 'utf8')).collections).toEqual({
      default: 'rag-default',
    });
    await s.commitRemove('00000000-0000-4000-8000-000000000001');
    await s.own('new');
    const again = await Store.open(dir, (c) => vectorsName('rag-fr', c));
    expect(again.collections()).toEqual([
      ['default', 'rag-default'],
      ['new', 'rag-fr@new'],
    ]);
  });
});
