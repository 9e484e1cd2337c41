import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * /keys offers "Remove…" on a repository only where the dashboard can remove one: a dashboard
 * whose ops have no removeRepo (or no installedFrom for its confirmation page) answered the link
 * with 404, as "Add a repository…" is shown only with addRepo.
 */
const dashes: Dashboard[] = [];
afterAll(async () => {
  for (const d of dashes) await d.close();
});

async function keysPage(
  ops: ReturnType<typeof fakeOps>,
): Promise<{ body: string; get: (p: string) => Promise<number> }> {
  const dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-'), 'run/blueprint'),
    ops,
    gid: process.getgid?.() ?? 0,
  });
  dashes.push(dash);
  const token = await issueLoginToken(dash.tokenDir);
  const login = await request(dash.socket, `/login?token=${token}`);
  const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
  const get = (p: string) => request(dash.socket, p, { headers: { cookie } });
  const page = await get('/keys');
  expect(page.status).toBe(200);
  return { body: page.body, get: async (p) => (await get(p)).status };
}

describe('the /keys page and removing a repository', () => {
  it('shows no Remove… link where the dashboard cannot remove a repository', async () => {
    const { body, get } = await keysPage(fakeOps());
    expect(body).toContain('data-testid="repo-main"');
    expect(body).not.toContain('/keys/repos/main/remove');
    expect(body).not.toContain('Remove…');
    expect(await get('/keys/repos/main/remove')).toBe(404);
  });

  it('shows it, and its page answers, where the dashboard can', async () => {
    const ops = Object.assign(fakeOps(), {
      installedFrom: async () => [],
      removeRepo: async (name: string) => `Removed repository ${name}`,
    });
    const { body, get } = await keysPage(ops);
    expect(body).toContain('href="/keys/repos/main/remove">Remove…</a>');
    expect(await get('/keys/repos/main/remove')).toBe(200);
  });

  it('shows none with a confirmation page but nothing to send it to (installedFrom without removeRepo)', async () => {
    const ops = Object.assign(fakeOps(), { installedFrom: async () => [] });
    const { body, get } = await keysPage(ops);
    expect(body).not.toContain('Remove…');
    expect(await get('/keys/repos/main/remove')).toBe(404);
  });
});
