import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ragStandIn, sourceOf } from '../helpers/installed-rag.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/**
 * QA10's walk: `blueprint rag ingest` of 1.4 MiB of text took 67 s on the demo box, and after the
 * one "being indexed" line at 2 s the terminal said nothing for a minute: no sign it was still at
 * work. Every 30 s a line now says it still is and for how long. The executable against a
 * stand-in socket that holds the file's answer until that line is read.
 */
const root = tempDir('bp-rag-still-');
let release: (() => void) | undefined;

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', async () => {
    const source = sourceOf(req);
    await new Promise<void>((r) => (release = r));
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'doc-1', source, chunks: 3, pages: null }));
  });
});
afterAll(() => release?.());

describe('rag ingest of a file the module takes minutes over', () => {
  it('says every 30 s that it is still being indexed, and for how long', async () => {
    const docs = tempDir('bp-rag-still-docs-');
    const big = join(docs, 'big.txt');
    writeFileSync(big, 'word '.repeat(300_000));
    // Without the line the file is answered after 40 s anyway, and the checks say what was missing.
    const fallback = setTimeout(() => release?.(), 40_000);
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(blueprintExe, ['--root', root, 'rag', 'ingest', big], {
        env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('still being indexed')) release?.();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    clearTimeout(fallback);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${big} (1.4 MiB): being indexed by rag; a large document takes a while`);
    expect(r.stderr).toMatch(new RegExp(`${big}: still being indexed by rag, 3\\d s so far\\n`));
    expect(r.stdout).toContain(`${big}: indexed as doc-1`);
  }, 60_000);
});
