/**
 * A module's settings on its service page, request by request on a real box (a registered llm
 * declaring LLM_PARALLEL and KIT_ORIGINS; the real settings file): shown with value, default and
 * what each allows, changed through a confirmation page, refused in `service config`'s words (400,
 * nothing written), reset to the default, every value escaped, and nothing without the CSRF token.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, startDashboard } from '../../src/web/index.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';
import { tempDir } from '../helpers/pkg.js';
import { logIn, postForm } from './box-dashboard.js';
import { request } from './fake-ops.js';

let root: string;
let dash: Dashboard;
let cookie = '';
let csrf = '';
const file = () => path.join(root, 'etc/blueprint/settings/llm.json');
const stored = () => (existsSync(file()) ? JSON.parse(readFileSync(file(), 'utf8')) : undefined);
const get = (p: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, fields: [string, string][]) => postForm(dash, { cookie, csrf }, p, fields);
const decoded = (s: string) => s.replaceAll('&#39;', "'").replaceAll('&#96;', '`').replaceAll('&quot;', '"');
const hidden = (page: string) =>
  [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
    .map((x) => [x[1]!, x[2]!] as [string, string])
    .filter(([k]) => k !== '_csrf');

beforeAll(async () => {
  root = tokenRoot('bp-web-settings-');
  await register(
    root,
    'llm',
    parseService({
      image,
      env: { LLM_PARALLEL: '1' },
      settings: {
        LLM_PARALLEL: { type: 'integer', min: 1, max: 8, description: 'Requests <b>generated</b> at once' },
        KIT_ORIGINS: { type: 'origins', description: 'Browser origins let in besides this machine’s' },
      },
    }),
  );
  await register(
    root,
    'rag',
    parseService({
      image,
      env: { RAG_MODE: 'fast', RAG_STRICT: 'false', RAG_PREFIX: 'doc:' },
      settings: {
        RAG_MODE: { type: 'enum', values: ['fast', 'exact'], description: 'How it searches' },
        RAG_STRICT: { type: 'boolean', description: 'Refuse unknown fields' },
        RAG_PREFIX: { type: 'string', description: 'Put before each passage' },
      },
    }),
  );
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-settings-'), 'run/blueprint'),
    ops: appOps(root),
    gid: process.getgid?.() ?? 0,
  });
  ({ cookie, csrf } = await logIn(dash));
});
afterAll(async () => {
  await dash?.close();
});

it("shows the module's settings on its service page, escaped, with a form to change them", async () => {
  const page = await get('/services/llm');
  expect(page.status).toBe(200);
  expect(page.body).toContain('<h2 id="h-settings">Settings</h2>');
  expect(page.body).toMatch(/<form method="post" action="\/services\/llm\/settings">/);
  expect(page.body).toMatch(
    /name="v:LLM_PARALLEL" type="number" step="1" min="1" max="8" value="" placeholder="1"/,
  );
  expect(page.body).toContain('a whole number from 1 to 8');
  expect(page.body).toContain('Requests &lt;b&gt;generated&lt;/b&gt; at once');
  expect(page.body).not.toContain('<b>generated');
});

it('changes a setting after a confirmation page, saying when it applies', async () => {
  const ask = await post('/services/llm/settings', [
    ['v:LLM_PARALLEL', '4'],
    ['v:KIT_ORIGINS', ''],
  ]);
  expect(ask.status).toBe(200);
  expect(decoded(ask.body)).toContain('Change these settings of llm?');
  expect(ask.body).toMatch(/<code>LLM_PARALLEL<\/code>: 1 → <strong>4<\/strong>/);
  expect(stored()).toBeUndefined(); // the confirmation writes nothing
  expect(hidden(ask.body)).toEqual([['set:LLM_PARALLEL', '4']]);

  const done = await post('/services/llm/settings/apply', hidden(ask.body));
  expect(done.status).toBe(303);
  expect(stored()).toEqual({ LLM_PARALLEL: '4' });
  const page = decoded((await get(done.headers.location!)).body);
  expect(page).toContain(`llm's settings written to ${file()}: LLM_PARALLEL=4`);
  expect(page).toContain('They apply when llm next starts.');
  expect(page).toMatch(/name="v:LLM_PARALLEL" type="number" step="1" min="1" max="8" value="4"/);
});

it('refuses a change without the CSRF token or from another site, writing nothing', async () => {
  const wrong = await request(dash.socket, '/services/llm/settings/apply', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://localhost:8080' },
    body: new URLSearchParams({ _csrf: 'wrong', 'set:LLM_PARALLEL': '2' }).toString(),
  });
  expect(wrong.status).toBe(403);
  const elsewhere = await request(dash.socket, '/services/llm/settings/apply', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://evil.example' },
    body: new URLSearchParams({ _csrf: csrf, 'set:LLM_PARALLEL': '2' }).toString(),
  });
  expect(elsewhere.status).toBe(403);
  expect(stored()).toEqual({ LLM_PARALLEL: '4' });
});

it('refuses what `service config` refuses, in its words (400), writing nothing', async () => {
  const before = readFileSync(file(), 'utf8');
  const ask = await post('/services/llm/settings', [['v:LLM_PARALLEL', '99']]);
  expect(ask.status).toBe(400);
  expect(decoded(ask.body)).toContain('Refused: LLM_PARALLEL');
  expect(ask.body).toContain('a whole number from 1 to 8');
  expect(ask.body).toMatch(/name="v:LLM_PARALLEL" type="number" step="1" min="1" max="8" value="99"/);
  const forged = await post('/services/llm/settings/apply', [['set:LLM_PARALLEL', '0']]);
  expect(forged.status).toBe(400);
  const undeclared = await post('/services/llm/settings/apply', [['set:LLM_SECRET', '1']]);
  expect(undeclared.status).toBe(400);
  expect(decoded(undeclared.body)).toContain('llm 1.0.0 has no setting LLM_SECRET');
  expect(readFileSync(file(), 'utf8')).toBe(before);
});

it('says the change in the CLI words, warns of * origins, and resets one to its default', async () => {
  const ask = await post('/services/llm/settings', [
    ['v:LLM_PARALLEL', '4'],
    ['v:KIT_ORIGINS', '*'],
  ]);
  expect(ask.status).toBe(200);
  expect(decoded(ask.body)).toContain('warning: KIT_ORIGINS is *: every web site');
  const done = await post('/services/llm/settings/apply', hidden(ask.body));
  expect(done.status).toBe(303);
  expect(done.headers.location).toMatch(/^\/services\/llm\?notice=/);
  expect(stored()).toEqual({ LLM_PARALLEL: '4', KIT_ORIGINS: '*' });
  const page = decoded((await get(done.headers.location!)).body);
  expect(page).toContain("llm's settings written to");
  expect(page).toContain('They apply when llm next starts.');
  expect(page).toContain('warning: KIT_ORIGINS is *');
  expect(page).toMatch(
    /<button type="submit" class="secondary" name="reset" value="LLM_PARALLEL">Reset to default/,
  );

  const reset = await post('/services/llm/settings', [
    ['v:LLM_PARALLEL', '4'],
    ['v:KIT_ORIGINS', '*'],
    ['reset', 'LLM_PARALLEL'],
  ]);
  expect(reset.body).toMatch(/<code>LLM_PARALLEL<\/code>: 4 → back to its default <strong>1<\/strong>/);
  expect(hidden(reset.body)).toEqual([['unset', 'LLM_PARALLEL']]);
  expect((await post('/services/llm/settings/apply', hidden(reset.body))).status).toBe(303);
  expect(stored()).toEqual({ KIT_ORIGINS: '*' });
});

it('lists a stored value the installed version does not apply, escaped, and removes it', async () => {
  writeFileSync(file(), JSON.stringify({ KIT_ORIGINS: '*', OLD_KEY: '<script>x</script>' }));
  const page = await get('/services/llm');
  expect(page.body).not.toContain('<script>x');
  expect(decoded(page.body)).toContain('not applied: OLD_KEY=&lt;script&gt;x&lt;/script&gt;');
  const ask = await post('/services/llm/settings', [['reset', 'OLD_KEY']]);
  expect(ask.status).toBe(200);
  const done = await post('/services/llm/settings/apply', hidden(ask.body));
  expect(done.status).toBe(303);
  expect(stored()).toEqual({ KIT_ORIGINS: '*' });
});

const ragFile = () => path.join(root, 'etc/blueprint/settings/rag.json');
const ragStored = () => (existsSync(ragFile()) ? JSON.parse(readFileSync(ragFile(), 'utf8')) : undefined);

it('gives an enum and a boolean a choice, an integer a number field with its bounds', async () => {
  const page = await get('/services/rag');
  expect(page.status).toBe(200);
  expect(page.body).toContain(
    '<select id="set-RAG_MODE" name="v:RAG_MODE"><option value="" selected>default (fast)</option><option value="fast">fast</option><option value="exact">exact</option></select>',
  );
  expect(page.body).toContain(
    '<select id="set-RAG_STRICT" name="v:RAG_STRICT"><option value="" selected>default (false)</option><option value="true">true</option><option value="false">false</option></select>',
  );
  const ask = await post('/services/rag/settings', [
    ['v:RAG_MODE', 'exact'],
    ['v:RAG_STRICT', 'true'],
    ['v:RAG_PREFIX', ''],
  ]);
  expect(ask.status).toBe(200);
  const done = await post('/services/rag/settings/apply', hidden(ask.body));
  expect(done.status).toBe(303);
  expect(ragStored()).toEqual({ RAG_MODE: 'exact', RAG_STRICT: 'true' });
  const after = await get('/services/rag');
  expect(after.body).toContain('<option value="exact" selected>exact</option>');
  expect(after.body).toContain('<option value="true" selected>true</option>');
});

it('sets a text setting to the empty text with its box, and back to the default without', async () => {
  const page = await get('/services/rag');
  expect(page.body).toMatch(
    /<input type="checkbox" name="empty" value="RAG_PREFIX" data-testid="empty-RAG_PREFIX">/,
  );
  const ask = await post('/services/rag/settings', [
    ['v:RAG_PREFIX', ''],
    ['empty', 'RAG_PREFIX'],
  ]);
  expect(ask.status).toBe(200);
  expect(ask.body).toMatch(/<code>RAG_PREFIX<\/code>: doc: → <strong>\(empty text\)<\/strong>/);
  expect(hidden(ask.body)).toEqual([['set:RAG_PREFIX', '']]);
  expect((await post('/services/rag/settings/apply', hidden(ask.body))).status).toBe(303);
  expect(ragStored()).toMatchObject({ RAG_PREFIX: '' });
  // Shown with its box ticked; untick it (the field still empty) and it goes back to its default.
  expect((await get('/services/rag')).body).toMatch(
    /value="RAG_PREFIX" data-testid="empty-RAG_PREFIX" checked>/,
  );
  const back = await post('/services/rag/settings', [['v:RAG_PREFIX', '']]);
  expect(hidden(back.body)).toEqual([['unset', 'RAG_PREFIX']]);
  expect((await post('/services/rag/settings/apply', hidden(back.body))).status).toBe(303);
  expect(ragStored()).not.toHaveProperty('RAG_PREFIX');
});
