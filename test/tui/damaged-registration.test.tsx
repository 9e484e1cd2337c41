/**
 * One installed module's service registration damaged (its file cut short) made the console's
 * Dashboard and Services screen, the web dashboard's overview and services page, and setup's plan
 * fail as a whole: each read the services through `services.list()`, which throws on it. They now
 * read them as `service list` does (`services.listAll()`): the good ones are shown, the damaged one
 * has a row of its own with what is wrong and the fix (`bpkg install NAME --reinstall`). A real box
 * root and the shared Podman engine (the good one's state is asked of it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { layout } from '../../src/core/system/paths.js';
import { servicesLine } from '../../src/present/host.js';
import { appOps } from '../../src/web/app-ops.js';
import { html } from '../../src/web/html.js';
import { overviewBody, servicesBody } from '../../src/web/pages.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';
import { consolePasswordHash, sshPublicKey } from '../setup/helpers.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
let file: string;
// Names no other test's box has, so the engine has no container of theirs.
const bad = 'qadamaged';
const good = 'qafine';
const fix = `bpkg install ${bad} --reinstall`;

beforeAll(async () => {
  root = tokenRoot('bp-qa-damaged-');
  await register(root, bad, consumerSpec('/run/a'));
  await register(root, good, consumerSpec('/run/b'));
  file = path.join(root, 'var/lib/blueprint/services', bad, '1.0.0.json');
  writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
  // Installed as bpkg records it, so setup takes them as installed modules.
  const pkg = (name: string) => ({ name, version: '1.0.0', origin: 'main', signer: 'a'.repeat(40) });
  mkdirSync(path.dirname(layout(root).installedDb), { recursive: true });
  writeFileSync(
    layout(root).installedDb,
    JSON.stringify({ packages: { [bad]: pkg(bad), [good]: pkg(good) } }),
  );
});

const text = (p: unknown) => html`${p as never}`.value.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('a damaged service registration in the front ends', () => {
  it("the console's Dashboard and Services screen list the good one and the damaged one with the fix", async () => {
    const app = renderApp(sourcesFor(root, {}, { engineWaitMs: 60_000 }));
    const dash = await frameWith(app, good);
    expect(dash).toMatch(new RegExp(`${good}\\s+not creat`));
    expect(dash).toMatch(new RegExp(`${bad}\\s+damaged`));
    await type(app, '3');
    const list = await frameWith(app, 'Services (2)');
    expect(list).toMatch(new RegExp(`${good}\\s+not created`));
    expect(list).toMatch(new RegExp(`${bad}\\s+damaged`));
    expect(list).toContain(fix);
    app.unmount();
  });

  it("the web dashboard's overview and services page list both, the damaged one with the fix", async () => {
    const ops = appOps(root);
    const rows = await ops.services();
    expect(rows.map((r) => `${r.name} ${r.state}`)).toEqual([`${bad} damaged`, `${good} not created`]);
    const page = text(servicesBody(rows, 'csrf'));
    expect(page).toContain(`The service registration of ${bad} is damaged`);
    expect(page).toContain(fix);
    const overview = await ops.overview();
    expect(overview.services.available).toBe(true);
    const o = text(overviewBody(overview));
    expect(o).toMatch(new RegExp(`${good} not created`));
    expect(o).toContain(fix);
  });

  it('blueprint status lists both, the damaged one pointing at service list', async () => {
    const st = await openBox(root).status();
    expect(servicesLine(st.services, st.damagedServices)).toBe(
      `${bad} registration damaged (see blueprint service list), ${good} not created`,
    );
  });

  it("setup's plan goes on for the others and says what is wrong with the one it names", async () => {
    const box = openBox(root);
    const answers = (name: string) =>
      box.setup.fromAnswers(
        {
          hostname: 'box-qa',
          admin: { name: 'admin', keys: [sshPublicKey()], passwordHash: consolePasswordHash() },
          modules: [{ name, state: 'running' }],
        },
        root,
        'answers',
      );
    const loaded = await answers(good);
    const plan = await box.setup.plan(loaded);
    expect(plan.blocked).toEqual([]);
    expect(plan.changes.map((c) => `${c.kind} ${c.target} ${c.action}`)).toContain(`service ${good} create`);
    const named = await answers(bad);
    const blocked = (await box.setup.plan(named)).blocked.join('\n');
    expect(blocked).toContain(`The service registration of ${bad} is damaged`);
    expect(blocked).toContain(fix);
    // The JSON parser quotes a file it cannot read: its line breaks stay in the one line.
    writeFileSync(file, '{"name": x\nhint: forged}');
    const quoted = (await box.setup.plan(named)).blocked;
    expect(quoted).toHaveLength(1);
    expect(quoted[0]).toContain('\\x0ahint: fo');
    expect(quoted[0]).not.toContain('\n');
  });
});
