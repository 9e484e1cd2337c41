import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { ragStandIn } from '../helpers/installed-rag.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag remove ccdda47c`, an id typed short: the whole id the module lists that begins so
 * is the one removed (b09eb1cc; before, 6fcbaf4's hint named it as a command to paste). The id is
 * the module's answer, and what a module answers is untrusted (app/rag.ts: it runs sandboxed;
 * `--service` names any module that speaks the contract): an id such as ccdda47c$(touch pwned)
 * went into that hint's command as it was, and pasted in the admin's root shell it ran its command
 * outside the sandbox. Now the id goes into the DELETE's path encoded (one path segment), and into
 * the command an interrupted removal names (`blueprint rag remove ID` again) as one shell word. A
 * stand-in module on the socket; the hint's command run by sh (blueprint a function printing its
 * words).
 */
const root = tempDir('bp-rag-remove-words-');
const id = "ccdda47c$(touch pwned)'`touch pwned2`'";
const seen: string[] = [];
let arrived: () => void;
const wholeDeleteArrived = new Promise<void>((r) => (arrived = r));

ragStandIn(root, (req, res) => {
  req.resume();
  req.on('end', () => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'GET')
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ documents: [{ id, source: 'manual.md', collection: 'default', chunks: 1 }] }));
    if (req.url === '/v1/documents/ccdda47c')
      return res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `no route ${req.url}; try GET /info` } }));
    arrived(); // the whole id's DELETE: held, no answer
  });
});

describe("rag remove by the start of a module's hostile id", () => {
  it('deletes that id as one path segment; the command an interruption names runs nothing else when pasted', async () => {
    const abort = new AbortController();
    const removing = openBox(root, { signal: abort.signal }).rag.remove('ccdda47c');
    await wholeDeleteArrived;
    expect(seen).toEqual([
      'DELETE /v1/documents/ccdda47c',
      'GET /v1/documents',
      `DELETE /v1/documents/${encodeURIComponent(id)}`,
    ]);
    abort.abort();
    const err = (await removing.catch((e: unknown) => e)) as { code: string; hint: string };
    expect(err.code).toBe('interrupted');
    const command = /`(blueprint rag remove [\s\S]*?)` again/.exec(err.hint)?.[1];
    expect(command, err.hint).toBeDefined();
    const cwd = tempDir('bp-rag-remove-paste-');
    const words = execFileSync('sh', ['-c', `blueprint() { printf '%s\\n' "$@"; }; ${command}`], {
      cwd,
      encoding: 'utf8',
    });
    expect(existsSync(`${cwd}/pwned`), 'the pasted hint ran $(…)').toBe(false);
    expect(existsSync(`${cwd}/pwned2`), 'the pasted hint ran `…`').toBe(false);
    // And it does what it says: removes that id.
    expect(words).toBe(`rag\nremove\n${id}\n`);
  });
});
