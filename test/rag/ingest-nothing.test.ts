import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ragStandIn } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ingest ~/manuals` where the folder holds only old .doc files (or nothing): '0 indexed,
 * 0 duplicates, 0 failed', exit 0, as if the manuals were in. It says that no file of the types
 * it reads was found, and what to do (exit 3); nothing is sent to the module. The built executable
 * against a unix-socket server standing in for the rag module (as test/rag/cli-errors does).
 */
const root = tempDir('bp-rag-nothing-');
const seen: string[] = [];

ragStandIn(root, (req, res) => {
  seen.push(`${req.method} ${req.url}`);
  res.writeHead(500).end();
});

describe('rag ingest of folders with no file it reads', () => {
  it('says so (exit 3) with what to do, and sends nothing', async () => {
    const docs = tempDir('bp-rag-docx-');
    writeFileSync(join(docs, 'manual.doc'), '\xd0\xcf');
    writeFileSync(join(docs, 'photo.png'), 'x');
    const empty = tempDir('bp-rag-empty-');
    const r = await run(['--root', root, 'rag', 'ingest', docs, empty]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`error: No .txt .md .html .htm .pdf .docx .odt file in ${docs}, ${empty}`);
    expect(r.stderr).toMatch(/hint: .*\.docx/);
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docs]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not-found' });
    expect(seen).toEqual([]);
  });
});

/**
 * `blueprint rag ingest report.doc` (or a path mistyped) sent nothing, yet ended '0 indexed, 0
 * duplicates, 1 failed' with exit 1 (a failure of sending), though the help says 3 when the paths
 * hold no file of these types and nothing is sent, and the missing path had no hint. Now: one
 * error naming each path's reason and the types read, exit 3, --json {"error"}, nothing sent.
 */
describe('rag ingest of named paths none of which it can send', () => {
  it('a file of another type: exit 3, the types named, what to do, no summary line', async () => {
    const dir = tempDir('bp-rag-named-');
    const docx = join(dir, 'report.doc');
    writeFileSync(docx, '\xd0\xcf');
    const r = await run(['--root', root, 'rag', 'ingest', docx]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      `error: ${docx}: not a type rag ingest reads (.txt .md .html .htm .pdf .docx .odt)`,
    );
    expect(r.stderr).toMatch(/hint: Save it as one of these types \(an old \.doc as \.docx, say\)/);
    expect(r.stdout + r.stderr).not.toContain('0 indexed');
    const json = await run(['--root', root, '--json', 'rag', 'ingest', docx]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'not-found' });
    expect(seen).toEqual([]);
  });

  it('a path that is not there, with a file of another type: exit 3, each named, a hint', async () => {
    const dir = tempDir('bp-rag-named-');
    const gone = join(dir, 'manual.txt');
    const bin = join(dir, 'photo.png');
    writeFileSync(bin, 'x');
    const r = await run(['--root', root, 'rag', 'ingest', gone, bin]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      `error: Nothing to send: ${gone}: no such file or folder; ${bin}: not a type rag ingest reads (.txt .md .html .htm .pdf .docx .odt)`,
    );
    expect(r.stderr).toMatch(/hint: .*\.docx/);
    const alone = await run(['--root', root, 'rag', 'ingest', gone]);
    expect(alone.code, alone.stderr).toBe(3);
    expect(alone.stderr).toContain(`error: ${gone}: no such file or folder`);
    expect(alone.stderr).toContain('hint: Nothing was sent. Check the path');
    expect(seen).toEqual([]);
  });

  // `cat notes.txt | blueprint rag ingest -` said '-: no such file or folder' and 'Check the path',
  // as apply -f - once did; it says that standard input is not read, and what to do instead.
  it('- (standard input): not read, said so, exit 2, nothing sent', async () => {
    const r = await run(['--root', root, 'rag', 'ingest', '-'], { input: 'some text\n' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: rag ingest - : standard input is not read');
    expect(r.stderr).toContain(
      'hint: Save the text to a file and name it: blueprint rag ingest notes.txt (.txt .md .html .htm .pdf .docx .odt).',
    );
    expect(seen).toEqual([]);
  });
});
