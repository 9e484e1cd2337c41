/**
 * `blueprint service status` showed rag "running healthy" while the embeddings module it uses was
 * stopped (found by the QA5 walk): rag's own health check answers, and the user learnt it only when
 * `rag ask` failed. The table now says, under it, which running service uses a module that is not
 * running, and the command that starts it; with NAME, the modules it uses are looked at too.
 */
import { describe, expect, it } from 'vitest';
import { statusTable } from '../../src/present/services.js';
import { serviceRow } from './service-row.js';

const row = serviceRow;

describe('a running service whose used module is not running', () => {
  it('is said under the table, with the state of each and the command that starts them', () => {
    const rag = row('rag', { uses: ['emb', 'vec', 'llm'] });
    const text = statusTable([
      rag,
      row('emb', { state: 'exited', exitCode: 0, usedBy: ['rag'] }),
      row('vec', { usedBy: ['rag'] }),
      row('llm', { state: 'created', usedBy: ['rag'] }),
    ]);
    expect(text.split('\n').slice(-1)[0]).toBe(
      'rag uses emb (exited (0)) and llm (created), which are not running: its requests that need them fail until `blueprint service start emb llm`',
    );
  });

  it('says nothing when every used module runs, or the user itself is stopped', () => {
    const all = [row('rag', { uses: ['emb'] }), row('emb', { usedBy: ['rag'] })];
    expect(statusTable(all)).not.toContain('not running');
    expect(
      statusTable([
        row('rag', { uses: ['emb'], state: 'exited', exitCode: 0 }),
        row('emb', { state: 'exited', exitCode: 0 }),
      ]),
    ).not.toContain('not running');
  });

  it('with NAME the used modules are given apart from the rows (service status rag)', () => {
    const text = statusTable(
      [row('rag', { uses: ['emb'] })],
      [],
      [row('emb', { state: 'exited', exitCode: 137 })],
    );
    expect(text).toContain(
      'rag uses emb (exited (137)), which is not running: its requests that need it fail until `blueprint service start emb`',
    );
    expect(text.split('\n').filter((l) => l.startsWith('emb '))).toEqual([]); // not a row of the table
  });
});
