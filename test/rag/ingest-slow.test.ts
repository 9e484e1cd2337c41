import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ingest big.txt` (1.8 MB of text on the demo box: 28,319 chunks, 40 s) printed
 * nothing until the module answered: a long silent wait, with no word of which file it was on. A
 * file not answered within the slow-notice time (2 s) now gets one line on stderr naming it, its
 * size and that it is being indexed; none with --json, -q, or for a file answered at once. The
 * executable against a stand-in socket that holds the big file's answer until that line is read
 * (so the order is the test's, not the clock's).
 */
const root = tempDir('bp-rag-slow-');
let release: (() => void) | undefined;
const posted: string[] = [];
let n = 0;

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', async () => {
    const source = sourceOf(req);
    posted.push(source);
    if (source.endsWith('big.txt')) await new Promise<void>((r) => (release = r));
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `doc-${++n}`, source, chunks: 3, pages: 0 }));
  });
});
afterAll(() => release?.());

/** Runs the executable; `onErr` sees stderr as it comes. */
function ingest(args: string[], onErr: (err: string) => void = () => {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(blueprintExe, ['--root', root, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onErr(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('rag ingest of a file the module takes long over', () => {
  const docs = tempDir('bp-rag-slow-docs-');
  const big = join(docs, 'big.txt');
  writeFileSync(big, 'word '.repeat(300_000));
  const small = join(docs, 'small.md');
  writeFileSync(small, '# notes\n');

  it('says which file it is on, its size, and that it is being indexed; not for a quick one', async () => {
    // Without the line the file is answered after 6 s anyway, and the checks say what was missing.
    const fallback = setTimeout(() => release?.(), 6000);
    const r = await ingest(['rag', 'ingest', small, big], (err) => {
      if (err.includes('being indexed')) release?.();
    });
    clearTimeout(fallback);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${big} (1.4 MiB): being indexed by rag; a large document takes a while`);
    expect(r.stderr).not.toContain(`${small} (`);
    expect(r.stdout).toContain(`${big}: indexed as doc-`);
  });

  it('says nothing with --json', async () => {
    const waited = setTimeout(() => release?.(), 2600);
    const r = await ingest(['--json', 'rag', 'ingest', big]);
    clearTimeout(waited);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ingested: 1 });
  });

  // QA10's walk: 1.4 MiB of text took 67 s on the demo box, and after the one "being indexed" line
  // the terminal said nothing for a minute: no sign it was still at work. Every 30 s a line now
  // says it still is and for how long; the answer is held until that line is read.
  it('says every 30 s that it is still being indexed, and for how long', async () => {
    // Without the line the file is answered after 40 s anyway, and the checks say what was missing.
    const fallback = setTimeout(() => release?.(), 40_000);
    const r = await ingest(['rag', 'ingest', big], (err) => {
      if (err.includes('still being indexed')) release?.();
    });
    clearTimeout(fallback);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${big} (1.4 MiB): being indexed by rag; a large document takes a while`);
    expect(r.stderr).toMatch(new RegExp(`${big}: still being indexed by rag, 3\\d s so far\\n`));
    expect(r.stdout).toContain(`${big}: indexed as doc-`);
  }, 60_000);
});
