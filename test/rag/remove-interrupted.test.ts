import { describe, expect, it } from 'vitest';
import { ExitCode, openBox } from '../../src/app/index.js';
import { ragStandIn } from '../helpers/installed-rag.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * Ctrl-C during `blueprint rag remove ID` once the DELETE reached the module: the error said
 * 'Nothing was changed; run the command again.' while the module may have removed the document. It
 * says so, and how to see which it was. A unix-socket server stands in for the rag module (as in
 * ingest-interrupted.test.ts) and holds the DELETE.
 */
const root = tempDir('bp-rag-rmint-');
let arrived: () => void;
const deleteArrived = new Promise<void>((r) => (arrived = r));

ragStandIn(root, (req) => {
  req.resume();
  req.on('end', () => arrived()); // held: no answer
});

describe('rag remove interrupted', () => {
  it('once the DELETE went out: says the document may be gone and how to check, not that nothing changed', async () => {
    const abort = new AbortController();
    const run = openBox(root, { signal: abort.signal }).rag.remove('doc-1');
    await deleteArrived;
    abort.abort();
    const err = await run.catch((e) => e);
    expect(err).toMatchObject({ code: 'interrupted', exitCode: ExitCode.interrupted });
    expect(err.hint).not.toMatch(/Nothing was changed/);
    expect(err.hint).toContain('blueprint rag list');
    expect(err.hint).toContain('doc-1');
  });
});
