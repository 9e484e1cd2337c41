/**
 * Make default on the Models page, on a box whose llm has its model built in (the demo's:
 * package.ts --model, no model-* mount). The page said 'default model: tiny; it applies at llm's
 * next start: `blueprint service restart llm`' (defaultSetText called without its builtIn), and
 * "The default applies at llm's next start" under the table; after that restart llm served its own
 * model as before. Now the page says what `blueprint model default` says there
 * (test/cli/model-default-built-in): that llm serves its built-in model only. An llm that serves the
 * model packages is told the restart as before. Real import (OpenPGP signing, the package manager);
 * the llm is llmBox's (registration only).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { llmBox } from '../helpers/llm-box.js';
import { repoRoot, tempDir } from '../helpers/pkg.js';
import { request } from './fake-ops.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const open: Dashboard[] = [];
afterAll(async () => {
  for (const d of open) await d.close();
});

/** The dashboard on an llmBox with model tiny imported, logged in: Make default tiny, the Models page after. */
async function makeDefault(servesModels: boolean): Promise<{ notice: string; page: string; before: string }> {
  const root = await llmBox(servesModels);
  await openBox(root).models.import(Q8, { name: 'tiny' });
  const dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-default-'), 'run/blueprint'),
    ops: appOps(root),
    gid: process.getgid?.() ?? 0,
  });
  open.push(dash);
  const login = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
  const before = (await request(dash.socket, '/models', { headers: { cookie } })).body;
  const csrf = before.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';
  const set = await request(dash.socket, '/models/default', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'http://localhost:8080' },
    body: new URLSearchParams({ _csrf: csrf, name: 'tiny' }).toString(),
  });
  expect(set.status).toBe(303);
  const page = (await request(dash.socket, String(set.headers.location), { headers: { cookie } })).body
    .replaceAll('&#39;', "'")
    .replaceAll('&#96;', '`');
  return { notice: page.match(/default model: tiny;[^<]*/)?.[0] ?? '', page, before };
}

describe('Make default on the Models page', () => {
  it('with an llm whose model is built in, says that llm serves its own model only, not a restart', async () => {
    const { notice, page } = await makeDefault(false);
    expect(notice).toMatch(
      /^default model: tiny; the installed llm has its model built in and serves that one only/,
    );
    expect(page).not.toContain('next start');
    expect(page).not.toContain('blueprint service restart llm');
  });

  // QA21's walk: the page offered 'Clear the default' on a box with none set, a button that changes
  // nothing; it is there once one is set.
  it('offers Clear the default only once a default is set', async () => {
    const { before, page } = await makeDefault(true);
    expect(before).toContain('No default model set');
    expect(before).not.toContain('Clear the default');
    expect(page).toContain('Clear the default');
  });

  it('with an llm that serves the model packages, names the restart as before', async () => {
    const { notice, page } = await makeDefault(true);
    expect(notice).toContain("default model: tiny; it applies at llm's next start");
    expect(page).toContain("The default applies at llm's next start");
  });
});
