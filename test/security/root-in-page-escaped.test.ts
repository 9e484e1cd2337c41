/**
 * REVIEW10 (found sound): the dashboard's commands now carry the served --root (QA24, 4cada449 and
 * before), so the root's text is written into every page, a notice and a job's event stream. A root
 * is a folder's name, which can hold any byte but / and NUL: one named like markup must stay text,
 * and one with a quote must still paste as one shell word. The pages, the notice after an action
 * and the job's events are read from the real dashboard server.
 */
import { expect, it } from 'vitest';
import { rootedDashboard } from '../web/rooted-dashboard.js';

const ROOT = `/srv/<img src=x onerror=alert(1)>/it's "demo"`;
/** The root as one shell word (single quotes, its ' as '\''), as each page shows it. */
const SHELL = `'/srv/<img src=x onerror=alert(1)>/it'\\''s "demo"'`;

const page = rootedDashboard(ROOT, 'bp-sec-root-page-');
const { get, post } = page;
/** The text a browser shows for an HTML body's escapes (the ones the pages use). */
const shown = (s: string) =>
  s
    .replace(/&#96;/g, '`')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

it('pages: the root is text (no element made of it), and pastes as one shell word', async () => {
  for (const page of ['/', '/keys', '/models', '/tokens', '/services/hello']) {
    const body = (await get(page)).body;
    expect(body, page).not.toContain('<img');
    expect(shown(body), page).toContain(` --root ${SHELL}`);
  }
  expect(shown((await get('/keys')).body)).toContain(`Add one with <code>bpkg --root ${SHELL} key add FILE`);
});

it("an action's notice and a job's events: the root is text there too", async () => {
  const start = await post('/services/hello/start', { _csrf: page.csrf });
  const notice = (await get(start.headers.location!)).body;
  expect(notice).not.toContain('<img');
  expect(shown(notice)).toContain(`\`blueprint --root ${SHELL} service list\``);
  // A job's lines are server-sent events, plain text the page's script adds as text nodes
  // (assets.ts: createTextNode), never as markup: the root is there as it is, one shell word.
  const job = await post('/packages/greet/install', { _csrf: page.csrf, plan: 'plan-1' });
  const events = await page.read(`${job.headers.location}/events`);
  expect(String(events.headers['content-type'])).toMatch(/^text\/event-stream/);
  expect(events.body).toContain(
    `data: warning: the index is old: \`bpkg --root ${SHELL} update\` fetches it`,
  );
  const script = (await page.read('/assets/app.js')).body;
  expect(script).toContain('pre.append(document.createTextNode(text');
  expect(script).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML|document\.write/);
});
