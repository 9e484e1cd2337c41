import { expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { rootedDashboard } from './rooted-dashboard.js';

/**
 * The demo's dashboard (`blueprint --root .demo/root dashboard`) named commands without the root
 * it serves: the overview's 'not set up: run blueprint setup', the service page's sandbox text
 * ('Not running: `blueprint service start hello` starts it'), an error's hint ('`blueprint service
 * list` shows the installed services'), a job's lines. Pasted, each acts on the live box, /, not
 * the demo's (the CLI's own lines after --root carry it: present/root-in-hints). Now every command
 * the pages name carries the root, as the login page's already did; on a box (root /) unchanged.
 */
const ROOT = '/srv/demo/root';
/** The Keys page of a box that trusts no key yet (the demo's before `npm start` adds its own). */
let noKeys = false;
const page = rootedDashboard(ROOT, 'bp-web-root-hints-', (ops) => ({
  keys: async () => (noKeys ? [] : ops.keys()),
}));
const { get, post } = page;
const backticks = (s: string) => s.replace(/&#96;/g, '`');

it('names the served root in the overview, the sandbox text, errors, notices and job lines', async () => {
  expect((await get('/')).body).toContain(`blueprint --root ${ROOT} setup`);
  expect(backticks((await get('/services/hello')).body)).toContain(
    `\`blueprint --root ${ROOT} service start hello\` starts it`,
  );
  const error = backticks((await get('/services/Bad_Name')).body);
  expect(error).toContain(`hint: \`blueprint --root ${ROOT} service list\``);
  const start = await post('/services/hello/start', { _csrf: page.csrf });
  expect(backticks((await get(start.headers.location!)).body)).toContain(
    `\`blueprint --root ${ROOT} service list\``,
  );
  const job = await post('/packages/greet/install', { _csrf: page.csrf, plan: 'plan-1' });
  const events = (await page.read(`${job.headers.location}/events`)).body;
  expect(events).toContain(`\`bpkg --root ${ROOT} update\` fetches it`);
  expect(events).toContain(`hint: \`blueprint --root ${ROOT} service list\``);
});

it('names it on the Models, Tokens and Keys pages', async () => {
  const models = backticks((await get('/models')).body);
  for (const c of ['blueprint', 'bpkg'].map((x) => `${x} --root ${ROOT}`)) expect(models).toContain(c);
  expect(models).toContain(`<code>bpkg --root ${ROOT} remove model-NAME</code>`);
  expect(models).toContain(`<code>blueprint --root ${ROOT} model import FILE.gguf --name NAME</code>`);
  expect((await get('/tokens')).body).toContain(`<code>blueprint --root ${ROOT} service token NAME</code>`);
  const keys = (await get('/keys')).body;
  expect(keys).toContain(`<code>bpkg --root ${ROOT} key add FILE --fingerprint FPR</code>`);
  expect(keys).toContain(`<code>bpkg --root ${ROOT} repo add NAME URL --key FPR</code>`);
});

// QA24: the Keys page of a box that trusted no key said 'Add one with bpkg key add FILE
// --fingerprint FPR' without the root, while the Repositories card under it named it.
it("names it in the Keys page's 'no key is trusted' line", async () => {
  noKeys = true;
  try {
    const keys = (await get('/keys')).body;
    expect(keys).toContain('No key is trusted');
    expect(keys).toContain(`Add one with <code>bpkg --root ${ROOT} key add FILE --fingerprint FPR</code>`);
  } finally {
    noKeys = false;
  }
});

it('on the box itself (root /) names them as they are', async () => {
  carryRoot(undefined);
  expect((await get('/')).body).toContain('<code>blueprint setup</code>');
  expect(backticks((await get('/services/Bad_Name')).body)).toContain('hint: `blueprint service list`');
  carryRoot({ root: ROOT, typed: true });
});
