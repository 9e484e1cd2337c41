/**
 * Setting a module's access token to one of the admin's own, or removing it, from the Tokens page,
 * request by request on a real box (a registered llm that reads its token; the real token file).
 * Both were CLI-only (`blueprint service token NAME --stdin | --remove`): an admin whose clients
 * already hold a token (moving the box, a client configured by hand) had to go to a shell. The
 * token is sent in a POST's body only, checked as the CLI checks it, written as the CLI writes it,
 * and never shown back (not in the notice, not in the page); removing it says what that opens and
 * must be ticked. Nothing changes without the session's CSRF token.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { layout } from '../../src/core/system/paths.js';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, startDashboard } from '../../src/web/index.js';
import { providerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { run, tempDir } from '../helpers/pkg.js';
import { logIn, postForm } from './box-dashboard.js';
import { request } from './fake-ops.js';

const OWN = 'my-own-token-0123456789_ABCDEF';
let root: string;
let dash: Dashboard;
let cookie = '';
let csrf = '';
const tokenFile = () => path.join(layout(root).modulesData, 'llm', 'access-token');
const get = (p: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, fields: Record<string, string>) => postForm(dash, { cookie, csrf }, p, fields);
const decoded = (s: string) => s.replaceAll('&#39;', "'").replaceAll('&#96;', '`');

beforeAll(async () => {
  root = tokenRoot('bp-web-own-token-');
  await register(root, 'llm', providerSpec('llm'));
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-own-token-'), 'run/blueprint'),
    ops: appOps(root),
    gid: process.getgid?.() ?? 0,
  });
  ({ cookie, csrf } = await logIn(dash));
});
afterAll(async () => {
  await dash?.close();
});

it('offers setting your own token or removing it, for a module that reads one', async () => {
  const page = await get('/tokens');
  expect(page.body).toContain('href="/tokens/llm/own"');
  const own = await get('/tokens/llm/own');
  expect(own.status).toBe(200);
  expect(own.body).toMatch(/<form method="post" action="\/tokens\/llm\/own">/);
  expect(own.body).toMatch(/<input[^>]* type="password"[^>]* name="token"/);
  expect(own.body).toMatch(/<form method="post" action="\/tokens\/llm\/remove">/);
});

it("sets the admin's own token as `service token --stdin` does, never showing it back", async () => {
  const noCsrf = await post('/tokens/llm/own', { token: OWN, _csrf: 'wrong' });
  expect(noCsrf.status).toBe(403);
  expect(existsSync(tokenFile())).toBe(false);
  const short = await post('/tokens/llm/own', { token: 'short' });
  expect(short.status).toBe(400);
  expect(short.body).toContain('An access token is 16 to 4095 printable characters without spaces');
  expect(short.body).not.toContain('short"');
  expect(existsSync(tokenFile())).toBe(false);

  const set = await post('/tokens/llm/own', { token: OWN });
  expect(set.status).toBe(303);
  expect(set.headers.location).toMatch(/^\/tokens\?notice=/);
  expect(readFileSync(tokenFile(), 'utf8')).toBe(`${OWN}\n`);
  expect(statSync(tokenFile()).mode & 0o777).toBe(0o440);
  const after = await get(set.headers.location!);
  expect(decoded(after.body)).toContain(
    `token of llm written to ${tokenFile()}; it applies at the next start: \`blueprint service restart llm\``,
  );
  expect(after.body).not.toContain(OWN);
});

it('removes the token only once ticked, saying what that opens', async () => {
  const asked = await post('/tokens/llm/remove', {});
  expect(asked.status).toBe(400);
  expect(decoded(asked.body)).toContain('any local client of its socket may use its API');
  expect(existsSync(tokenFile())).toBe(true);
  const removed = await post('/tokens/llm/remove', { confirm: 'yes' });
  expect(removed.status).toBe(303);
  expect(existsSync(tokenFile())).toBe(false);
  expect(decoded((await get(removed.headers.location!)).body)).toContain(
    'token of llm removed; it applies at the next start',
  );
});

it('removing a token there is none of: nothing to do, no restart asked, as `service token --remove` says it', async () => {
  expect(existsSync(tokenFile())).toBe(false);
  const again = await post('/tokens/llm/remove', { confirm: 'yes' });
  expect(again.status).toBe(303);
  const shown = decoded((await get(again.headers.location!)).body);
  expect(shown).toContain('llm has no token, nothing to do');
  expect(shown).not.toContain('blueprint service restart llm');
  // The CLI, on the same box: the same words, exit 0, --json changed false.
  const cli = await run(['--root', root, 'service', 'token', 'llm', '--remove']);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toBe('llm has no token, nothing to do\n');
  const json = await run(['--root', root, '--json', 'service', 'token', 'llm', '--remove']);
  expect(JSON.parse(json.stdout)).toMatchObject({ name: 'llm', changed: false });
});
