import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { carryRoot } from '../../src/present/root-in-hints.js';
import { type Dashboard, issueLoginToken, startDashboard } from '../../src/web/index.js';
import { tempDir } from '../setup/temp-registry.js';
import { fakeOps, request } from './fake-ops.js';

/**
 * The demo's dashboard (`blueprint --root .demo/root dashboard`) named commands without the root
 * it serves: the overview's 'not set up: run blueprint setup', the service page's sandbox text
 * ('Not running: `blueprint service start hello` starts it'), an error's hint ('`blueprint service
 * list` shows the installed services'), a job's lines. Pasted, each acts on the live box, /, not
 * the demo's (the CLI's own lines after --root carry it: present/root-in-hints). Now every command
 * the pages name carries the root, as the login page's already did; on a box (root /) unchanged.
 */
const ROOT = '/srv/demo/root';
let dash: Dashboard;
let cookie = '';
let csrf = '';
const broken = Object.assign(new Error('no service Bad_Name'), {
  hint: '`blueprint service list` shows the installed services.',
  exitCode: 3,
});

/** The Keys page of a box that trusts no key yet (the demo's before `npm start` adds its own). */
let noKeys = false;

beforeAll(async () => {
  const ops = fakeOps();
  dash = await startDashboard({
    runDir: path.join(tempDir('bp-web-root-hints-'), 'run/blueprint'),
    ops: {
      ...ops,
      overview: async () => ({ ...(await ops.overview()), setupDone: false }),
      models: async () => ({ rows: [], defaultLine: 'none' }),
      tokens: async () => [],
      keys: async () => (noKeys ? [] : ops.keys()),
      service: async (name) => {
        if (name !== 'hello') throw broken;
        return {
          ...(await ops.service(name)),
          inspection: ['Not running: `blueprint service start hello` starts it.'],
        };
      },
      serviceAction: async () => {
        throw broken;
      },
      packageAction: async (_a, _n, progress) => {
        progress('warning: the index is old: `bpkg update` fetches it');
        throw broken;
      },
    },
  });
  const r = await request(dash.socket, `/login?token=${await issueLoginToken(dash.tokenDir)}`);
  cookie = String(r.headers['set-cookie']?.[0]).split(';')[0]!;
  csrf = (await get('/services')).body.match(/name="_csrf" value="([^"]+)"/)![1]!;
  carryRoot({ root: ROOT, typed: true });
});
afterAll(async () => {
  carryRoot(undefined);
  await dash.close();
});

const get = (p: string) => request(dash.socket, p, { headers: { cookie, accept: 'text/html' } });
const post = (p: string, form: Record<string, string>) =>
  request(dash.socket, p, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(form).toString(),
  });
const backticks = (s: string) => s.replace(/&#96;/g, '`');

it('names the served root in the overview, the sandbox text, errors, notices and job lines', async () => {
  expect((await get('/')).body).toContain(`blueprint --root ${ROOT} setup`);
  expect(backticks((await get('/services/hello')).body)).toContain(
    `\`blueprint --root ${ROOT} service start hello\` starts it`,
  );
  const error = backticks((await get('/services/Bad_Name')).body);
  expect(error).toContain(`hint: \`blueprint --root ${ROOT} service list\``);
  const start = await post('/services/hello/start', { _csrf: csrf });
  expect(backticks((await get(start.headers.location!)).body)).toContain(
    `\`blueprint --root ${ROOT} service list\``,
  );
  const job = await post('/packages/greet/install', { _csrf: csrf, plan: 'plan-1' });
  const events = (await request(dash.socket, `${job.headers.location}/events`, { headers: { cookie } })).body;
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
