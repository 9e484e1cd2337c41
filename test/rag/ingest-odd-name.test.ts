import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * The QA5 walk: a folder holding `odd name ü<newline>line.txt` (a name Linux allows, a download or
 * an unzip can make). The CLI sent the name as the document's source, which the rag module refuses
 * ('source' at most 1024 characters without control characters, modules/rag/server/rag.ts): the
 * file failed with "'source' must be …", a field the admin never set. Likewise a path longer than
 * 1024 characters (deep folders). Now the source is the name with its control characters made
 * visible (`\x0a`, as the CLI prints it), and a long one keeps its end (the file's own name).
 * The built executable against a server that judges the source as the module does.
 */
const root = tempDir('bp-rag-odd-name-');
const sources: string[] = [];

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', () => {
    const source = sourceOf(req);
    res.setHeader('content-type', 'application/json');
    if (source.length > 1024 || /[\u0000-\u001f\u007f]/.test(source)) {
      res.statusCode = 400;
      return res.end(
        JSON.stringify({
          error: { message: "'source' must be at most 1024 characters without control characters" },
        }),
      );
    }
    sources.push(source);
    res.statusCode = 201;
    res.end(JSON.stringify({ id: `id-${sources.length}`, source, chunks: 1 }));
  });
});

describe('rag ingest of files whose names the module would refuse as a source', () => {
  it('sends a name with a newline made visible, and a path over 1024 characters by its end', async () => {
    const docs = tempDir('bp-rag-names-');
    writeFileSync(join(docs, 'odd name ü\nline.txt'), 'the valve is red.\n');
    let deep = docs;
    for (let i = 0; i < 5; i++) deep = join(deep, `${i}${'d'.repeat(240)}`);
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'deep.md'), '# deep\n');
    const r = await run(['--root', root, 'rag', 'ingest', docs]);
    expect(r.stderr).not.toContain("'source'");
    expect(r.stdout).toContain('2 indexed, 0 duplicates, 0 failed');
    expect(r.code).toBe(0);
    expect(sources.find((s) => s.endsWith('/odd name ü\\x0aline.txt'))).toBeDefined();
    const long = sources.find((s) => s.endsWith('/deep.md'));
    expect(long).toBeDefined();
    expect(long!.length).toBeLessThanOrEqual(1024);
    expect(long).toMatch(/^…/);
  });
});
