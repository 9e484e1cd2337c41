import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * The QA5 walk: `rag ingest DIR` with a .bin, a .doc and a .png beside the documents said nothing
 * of them: the summary '4 indexed, 0 duplicates, 3 failed' read as if every file in the folder had
 * been looked at. The summary now counts the files of other types passed over in the folders
 * (`--json`: passedOver); `rag ingest --help` names the types read. Files named on the command line are
 * refused by name as before. The built executable against a stand-in for the module.
 */
const root = tempDir('bp-rag-passed-over-');
let n = 0;

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `id-${++n}`, source: sourceOf(req), chunks: 1 }));
  });
});

describe('rag ingest of a folder with files of other types', () => {
  it('counts the files passed over in the summary and in --json', async () => {
    const docs = tempDir('bp-rag-mixed-');
    writeFileSync(join(docs, 'a.md'), '# a\n');
    writeFileSync(join(docs, 'blob.bin'), Buffer.from([0, 1, 2]));
    mkdirSync(join(docs, 'sub'));
    writeFileSync(join(docs, 'sub', 'report.doc'), '\xd0\xcf');
    writeFileSync(join(docs, 'sub', 'photo.png'), 'x');
    writeFileSync(join(docs, 'sub', 'scan.PNG'), 'x');
    writeFileSync(join(docs, 'LICENSE'), 'x');
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.code, r.stderr).toBe(0);
    // Which types, so that a folder of .doc says what to convert (QA21's walk): each once, sorted.
    expect(r.stdout).toContain(
      '1 indexed, 0 duplicates, 0 failed; 5 files of other types passed over (.bin, .doc, .png, no extension)\n',
    );
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ingested: 1,
      passedOver: 5,
      passedOverTypes: ['.bin', '.doc', '.png', ''],
    });
  });

  it('names a few types, escaped, and says when there are more', async () => {
    const docs = tempDir('bp-rag-many-types-');
    writeFileSync(join(docs, 'a.md'), '# a\n');
    for (const ext of ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7']) writeFileSync(join(docs, `x.${ext}`), 'x');
    writeFileSync(join(docs, 'y.\x1b[31m'), 'x');
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toMatch(/; 8 files of other types passed over \((\.[^,)]+, ){4}\.[^,)]+, …\)\n$/);
  });

  it('says nothing more when there are none', async () => {
    const docs = tempDir('bp-rag-plain-');
    writeFileSync(join(docs, 'b.txt'), 'b\n');
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.stdout).toMatch(/1 indexed, 0 duplicates, 0 failed\n$/);
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(JSON.parse(json.stdout).passedOver).toBe(0);
  });
});
