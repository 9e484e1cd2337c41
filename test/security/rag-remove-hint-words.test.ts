import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag remove ccdda47c`, an id typed short (6fcbaf4): the hint names the whole id the
 * module lists that begins so, as a command to paste: 'did you mean `blueprint rag remove ID`'. The
 * id is the module's answer, and what a module answers is untrusted (app/rag.ts: it runs
 * sandboxed; `--service` names any module that speaks the contract): an id such as
 * ccdda47c$(touch pwned) went into the command as it was, and pasted in the admin's root shell it
 * ran its command outside the sandbox. The id is now one shell word. The executable, against a
 * stand-in module on the socket; the hint's command run by sh (blueprint a function printing its
 * words).
 */
let server: Server | undefined;
afterAll(() => server?.close());

describe("rag remove's hint of the whole id", () => {
  it('quotes the id the module gave: pasted, it runs nothing else', async () => {
    const root = tempDir('bp-rag-remove-words-');
    const socketDir = installedRag(root);
    const id = "ccdda47c$(touch pwned)'`touch pwned2`'";
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, body] =
          req.method === 'GET'
            ? [200, { documents: [{ id, source: 'manual.md', chunks: 1 }] }]
            : [404, { error: { message: `no route ${req.url}; try GET /info` } }];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server!.listen(join(socketDir, 'api.sock'), r));

    const r = await run(['rag', 'remove', 'ccdda47c'], { env: { BLUEPRINT_ROOT: root } });
    expect(r.code, r.stderr).toBe(3);
    const command = /did you mean `(blueprint rag remove [\s\S]*?)` \(manual\.md\)\?/.exec(r.stderr)?.[1];
    expect(command, r.stderr).toBeDefined();
    const cwd = tempDir('bp-rag-remove-paste-');
    const words = execFileSync('sh', ['-c', `blueprint() { printf '%s\\n' "$@"; }; ${command}`], {
      cwd,
      encoding: 'utf8',
    });
    expect(existsSync(join(cwd, 'pwned')), 'the pasted hint ran $(…)').toBe(false);
    expect(existsSync(join(cwd, 'pwned2')), 'the pasted hint ran `…`').toBe(false);
    // And it does what it says: removes that id.
    expect(words).toBe(`rag\nremove\n${id}\n`);
  });
});
