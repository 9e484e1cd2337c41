/**
 * REVIEW16, attack on 04d8592e / 151ab510: the kit's 401 (and its 413's config hint) names the
 * service by BLUEPRINT_MODULE from the environment, checked against MODULE_NAME. A hostile or odd
 * value (control characters, a trailing newline that `$` might let through, 1 MB, upper case, a
 * look-alike, 64 characters, a path) must reach neither the client nor the module's log: the
 * module's own name is said then. A valid installed name (63 characters, the longest blueprint
 * gives) is said as it is. Found sound: this is the guard. (No NUL case: an environment value
 * cannot hold one; process.env cuts it there, as execve would.)
 */
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

let kit: KitServer | undefined;
let dispatcher: Agent | undefined;
afterEach(async () => {
  delete process.env.BLUEPRINT_MODULE;
  await kit?.drain(1000);
  await dispatcher?.close();
  kit = undefined;
  dispatcher = undefined;
});

/** The 401's and the 413's whole answers (head and body) and every log line, told `installedAs`. */
async function told(installedAs: string): Promise<{ text: string; logged: string }> {
  process.env.BLUEPRINT_MODULE = installedAs;
  const logged: string[] = [];
  kit = createKitServer({
    name: 'embeddings',
    log: createLog({ name: 'hostile-name', write: (t) => logged.push(t) }),
    errorBody: (e) => ({ error: { message: e.message } }),
    token: 'a-token-of-enough-length',
    limits: { maxBodyBytes: 10, maxBodySetting: 'MAX_BODY_BYTES' },
    routes: {
      '/v1/models': { method: 'GET', handle: () => ({ body: { data: [] } }) },
      '/v1/embeddings': { method: 'POST', auth: false, handle: async (ctx) => ({ body: await ctx.json() }) },
    },
  });
  const sock = join(tempDir('kit-hostile-name-'), 'api.sock');
  await kit.listen(sock);
  dispatcher = new Agent({ connect: { socketPath: sock } });
  const r401 = await fetch('http://localhost/v1/models', { dispatcher });
  expect(r401.status).toBe(401);
  const r413 = await fetch('http://localhost/v1/embeddings', {
    dispatcher,
    method: 'POST',
    body: JSON.stringify({ input: 'x'.repeat(100) }),
  });
  expect(r413.status).toBe(413);
  const head = (r: typeof r401) => [...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  const text = `${head(r401)}\n${await r401.text()}\n${head(r413)}\n${await r413.text()}`;
  return { text, logged: logged.join('\n') };
}

const hostile: [string, string][] = [
  ['a trailing newline', 'emb-fr\n'],
  ['a newline and a second line', 'emb-fr\nx-injected: 1'],
  ['CR LF and a header', 'emb-fr\r\nset-cookie: a=b'],
  ['an escape sequence', 'emb\u001b[2J'],
  ['1 MB', 'a'.repeat(1024 * 1024)],
  ['64 characters', `a${'b'.repeat(63)}`],
  ['upper case', 'Emb-FR'],
  ['a Cyrillic look-alike', '\u0435mb-fr'],
  ['a path', '../emb'],
  ['a leading dash', '-emb'],
  ['a backtick and a command', 'x`; rm -rf ~`'],
  ['empty', ''],
];

describe('BLUEPRINT_MODULE that is no module name reaches neither the client nor the log', () => {
  for (const [what, value] of hostile)
    it(`${what}: the module's own name is said; the value is not`, async () => {
      const { text, logged } = await told(value);
      expect(text).toContain('`blueprint service token embeddings`');
      expect(text).toContain('`blueprint service config embeddings MAX_BODY_BYTES=BYTES`');
      const probe = value.length > 40 ? value.slice(0, 40) : value;
      if (probe !== '') {
        expect(text).not.toContain(probe);
        expect(logged).not.toContain(probe);
      }
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(text.length).toBeLessThan(4096);
    });

  it('the longest name blueprint gives (63 characters) is said as it is', async () => {
    const name = `e${'m'.repeat(61)}1`;
    const { text } = await told(name);
    expect(text).toContain(`\`blueprint service token ${name}\``);
    expect(text).toContain(`\`blueprint service config ${name} MAX_BODY_BYTES=BYTES\``);
  });
});
