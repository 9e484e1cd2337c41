import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { installedRag } from '../helpers/installed-rag.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * `blueprint rag ask --stream` (and the plain `ask` of a module that streams anyway) keeps the
 * answer as it comes, to print it with --json and return it: a module's answer is untrusted
 * (app/module-api.ts bounds a JSON body to 64 MiB and one event to 1 MiB), but the events of a
 * stream were not bounded together, so a module that never stopped writing grew the admin's root
 * process without end (until the string limit, a gigabyte on). The answer's text is now bounded:
 * past it the request is dropped with the module's bad-answer error. The stand-in module below
 * streams 24 Mi characters in 64 KiB events, then ends; before, all of it was taken as the answer.
 */
const root = tempDir('bp-rag-answer-bound-');
let server: Server;

beforeAll(async () => {
  const socketDir = installedRag(root);
  const piece = 'x'.repeat(64 * 1024);
  const event = `data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const more = () => {
        while (n < 384) {
          n++;
          if (!res.write(event)) return void res.once('drain', more);
        }
        res.end('data: [DONE]\n\n');
      };
      res.on('close', () => {
        n = Number.POSITIVE_INFINITY;
      });
      more();
    });
  });
  await new Promise<void>((r) => server.listen(join(socketDir, 'api.sock'), r));
});
afterAll(() => server?.close());

it("a streamed answer is bounded: the module's endless text is refused, not kept", async () => {
  let shown = 0;
  const onText = (t: string) => {
    shown += t.length;
  };
  const asked = openBox(root).rag.ask('what?', { stream: true, onText });
  // Caught whole: a failure must not print the 24 Mi characters it was given.
  const outcome = await asked.then(
    (a) => ({ resolved: a.answer.length }),
    (err: { code?: string }) => ({ refused: err.code }),
  );
  expect(outcome).toEqual({ refused: 'module-bad-answer' });
  // Stopped near the bound, not after the module had said everything.
  expect(shown).toBeLessThanOrEqual(16 * 1024 * 1024);
});
