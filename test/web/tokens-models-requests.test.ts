/**
 * The Tokens page and the Models page's changes, request by request over the dashboard's socket
 * (a box in memory). The dashboard had neither (`blueprint service token`, `service rotate-tokens`,
 * `model default` only). A new token is the one secret a page shows: it must be the POST's own
 * answer (never a link, a redirect or a notice kept for later), `Cache-Control: no-store`, and
 * nothing changes without the session's CSRF token; a model's name (from a package, its GGUF's
 * metadata) is shown as text.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import type { TokenView } from '../../src/web/ops.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

const SECRET = 'tok_0123456789abcdefghijklmnopqrstuv';
let dash: Dashboard;
const ops = fakeOps();
const tokens: TokenView[] = [
  { name: 'llm', readsToken: true, tokenSet: true, clientTokens: true, usedBy: ['rag'] },
  { name: 'hello', readsToken: false, tokenSet: false, clientTokens: false, usedBy: [] },
];

beforeAll(async () => {
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-tokens-'), 'run/blueprint'),
    ops: {
      ...ops,
      models: async () => ({
        rows: [
          {
            name: ops.hostile,
            package: `model-${ops.hostile}`,
            version: '1.0.0',
            origin: 'local',
            size: '1 MiB',
            quantisation: 'Q4_K_M',
            isDefault: true,
          },
        ],
        defaultLine: ops.hostile,
      }),
      model: async () => [['name in the file', ops.hostile]],
      async setDefaultModel(name) {
        ops.calls.push(`default ${name ?? '(clear)'}`);
        return `default model: ${name}`;
      },
      tokens: async () => tokens,
      repos: async () => [
        {
          name: 'big',
          url: 'https://repo.invalid/',
          keys: ['ABCD'],
          packages: Array.from({ length: 60 }, (_, i) => `p${String(i).padStart(2, '0')}`),
        },
      ],
      keys: async () => [{ fingerprint: 'ABCD', name: 'k', trustedFor: ['big', 'main'] }],
      installedFrom: async () => [],
      async removeRepo(name) {
        ops.calls.push(`repo remove ${name}`);
        return `removed repository ${name}`;
      },
      async newToken(name) {
        ops.calls.push(`token ${name}`);
        return {
          name,
          token: SECRET,
          file: `/var/lib/blueprint/modules/${name}/access-token`,
          restart: [name, 'rag'],
        };
      },
      async rotateConsumerTokens(provider) {
        ops.calls.push(`rotate ${provider}`);
        return `new tokens for ${provider}: rag; ${provider} refuses the old ones within a second`;
      },
    },
  });
});
afterAll(async () => {
  await dash.close();
});

const get = (p: string, cookie: string) => request(dash.socket, p, { headers: { cookie } });
const post = (p: string, form: Record<string, string>, cookie: string) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(form).toString(),
  });
async function login() {
  const token = await issueLoginToken(dash.tokenDir);
  const cookie = String((await get(`/login?token=${token}`, '')).headers['set-cookie']?.[0]).split(';')[0]!;
  const csrf = (await get('/tokens', cookie)).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  return { cookie, csrf };
}

it('lists which modules take a token and have one, and asks before making a new one', async () => {
  const { cookie } = await login();
  const page = (await get('/tokens', cookie)).body;
  expect(page).toMatch(
    /data-testid="token-llm">.*set.*rag.*href="\/tokens\/llm\/new".*href="\/tokens\/llm\/consumers"/s,
  );
  expect(page).toMatch(/data-testid="token-hello">.*reads none/s);
  expect(page).not.toContain('/tokens/hello/new');
  const confirm = await get('/tokens/llm/new', cookie);
  expect(confirm.status).toBe(200);
  expect(confirm.body).toContain('Make a new access token for llm?');
  expect(confirm.body).toContain('rag (which use it) get the new one at their next start');
  expect((await get('/tokens/nope/new', cookie)).status).toBe(404);
  // A GET changes nothing.
  expect(ops.calls.filter((c) => c.startsWith('token'))).toEqual([]);
});

it('shows a new token once, as the answer to its POST, never stored', async () => {
  const { cookie, csrf } = await login();
  expect((await post('/tokens/llm/new', {}, cookie)).status).toBe(403);
  expect(ops.calls).not.toContain('token llm');
  const r = await post('/tokens/llm/new', { _csrf: csrf }, cookie);
  expect(r.status).toBe(200);
  expect(r.headers.location).toBeUndefined();
  expect(r.headers['cache-control']).toBe('no-store');
  expect(r.body).toContain(`value="${SECRET}"`);
  expect(r.body).toContain('blueprint service restart llm &amp;&amp; blueprint service restart rag');
  expect(ops.calls).toContain('token llm');
  // Not kept for a later look: the tokens page and a notice-less reload show it nowhere.
  expect((await get('/tokens', cookie)).body).not.toContain(SECRET);
});

it("rotates a provider's consumers' tokens and says what it did", async () => {
  const { cookie, csrf } = await login();
  expect((await post('/tokens/llm/consumers', {}, cookie)).status).toBe(403);
  const r = await post('/tokens/llm/consumers', { _csrf: csrf }, cookie);
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/tokens\?notice=/);
  expect((await get(r.headers.location!, cookie)).body).toContain(
    'new tokens for llm: rag; llm refuses the old ones',
  );
  expect(ops.calls).toContain('rotate llm');
});

it('escapes model names and sets or clears the default only by a POST with the CSRF token', async () => {
  const { cookie, csrf } = await login();
  for (const p of ['/models', `/models/${encodeURIComponent(ops.hostile)}`]) {
    const body = (await get(p, cookie)).body;
    expect(body).not.toContain('<img src=x');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(body).not.toContain('\x1b');
  }
  expect((await post('/models/default', { name: 'tiny' }, cookie)).status).toBe(403);
  expect(ops.calls.filter((c) => c.startsWith('default'))).toEqual([]);
  const set = await post('/models/default', { _csrf: csrf, name: 'tiny' }, cookie);
  expect(set.headers.location).toMatch(/^\/models\?notice=/);
  expect((await get(set.headers.location!, cookie)).body).toContain('default model: tiny');
  await post('/models/default', { _csrf: csrf, name: '' }, cookie);
  expect(ops.calls.filter((c) => c.startsWith('default'))).toEqual(['default tiny', 'default (clear)']);
});

it("says each key's scope, and names at most 50 of a repository's packages", async () => {
  const { cookie } = await login();
  const page = (await get('/keys', cookie)).body;
  expect(page).toContain('repositories big, main only');
  expect(page).toContain('p48, p49 and 10 more (search them on Packages)');
  expect(page).not.toContain('p50');
});

it('removes a repository only by a POST with the CSRF token', async () => {
  const { cookie, csrf } = await login();
  expect((await get('/keys/repos/big/remove', cookie)).body).toContain('Remove repository big?');
  expect((await get('/keys/repos/nope/remove', cookie)).status).toBe(404);
  expect((await post('/keys/repos/big/remove', {}, cookie)).status).toBe(403);
  expect(ops.calls).not.toContain('repo remove big');
  const r = await post('/keys/repos/big/remove', { _csrf: csrf }, cookie);
  expect(r.headers.location).toMatch(/^\/keys\?notice=/);
  expect(ops.calls).toContain('repo remove big');
});
