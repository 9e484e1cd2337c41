/**
 * "Add a repository…" with mirrors and a pinned published name, and a first update that cannot
 * reach the repository, request by request on a real box (real keyring, OpenPGP, update). The form
 * had neither field (`bpkg repo add NAME URL --mirror URL --repository NAME` had both), and any
 * failed first update undid the whole addition, a network outage too. `bpkg repo add` never
 * fetches: a failed `bpkg update` after it keeps the repository and its key, and the next update
 * tries again. Now the dashboard does the same when no URL could be reached; an index that was
 * fetched and refused (another key's, another published name) still keeps nothing, as before.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { showFingerprint } from '../../src/present/fingerprint.js';
import { signedRepo } from '../helpers/pkg.js';
import { boxDashboard } from './box-dashboard.js';
import { freePort } from './dashboard-harness.js';

const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-repo-mirrors-');

const state = () => ({
  keys: readdirSync(path.join(box.root, 'etc/blueprint/keys')).sort(),
  repos: readdirSync(path.join(box.root, 'etc/blueprint/repos.d')).sort(),
});
const refusal = (body: string) =>
  body.match(/class="card flash error" role="status"><strong>Error: <\/strong>([\s\S]*?)<\/div>/)?.[1] ?? '';
/** The name the repository's index carries (`repository`). */
const published = (repo: string) =>
  JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')).repository;
/** An address nothing listens on: connection refused, as a repository that is down. */
const down = async () => `http://127.0.0.1:${await freePort()}/repo`;

it('confirms the mirrors and the published name, adds them as `bpkg repo add --mirror --repository`, and updates from a mirror', async () => {
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const url = await down();
  const fields = {
    name: 'mirrored',
    url,
    key: key.publicKey,
    mirrors: `${repo}\r\n\r\n`,
    repository: published(repo),
  };
  const asked = await box.post('/keys/repos/add', fields);
  expect(asked.status).toBe(200);
  const mirrorUrl = pathToFileURL(repo).href;
  expect(asked.body).toContain(`<dd data-testid="mirrors">${mirrorUrl}</dd>`);
  expect(asked.body).toContain(`<dd data-testid="published">${published(repo)}</dd>`);
  const r = await box.post('/keys/repos/add/confirm', {
    ...fields,
    mirrors: mirrorUrl,
    fingerprint: key.fingerprint,
    confirm: 'yes',
  });
  expect(r.status).toBe(303);
  const lines = (await box.get(`${r.headers.location}/events`)).body;
  expect(lines).toContain('mirrored: updated to version 1 (1 package)');
  expect(lines).toContain('event: end\ndata: done');
  const config = (await openBox(box.root).repos.list()).find((x) => x.name === 'mirrored');
  expect(config).toMatchObject({
    url,
    mirrors: [mirrorUrl],
    repository: published(repo),
    keys: [key.fingerprint],
  });
});

it('refuses a bad mirror URL or published name before anything is written', async () => {
  const before = state();
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const cases: [Record<string, string>, RegExp][] = [
    [{ mirrors: 'ftp://example.org/x' }, /Unsupported repository URL ftp:\/\/example.org\/x/],
    [{ mirrors: 'https://example.org/a b' }, /Bad repository URL/],
    [{ repository: ' leading space' }, /Bad published repository name/],
  ];
  for (const [extra, words] of cases) {
    const r = await box.post('/keys/repos/add', { name: 'extra', url: repo, key: key.publicKey, ...extra });
    expect(r.status).toBe(400);
    expect(refusal(r.body)).toMatch(words);
  }
  expect(state()).toEqual(before);
});

it('keeps nothing when the index names another published name than the one pinned', async () => {
  const before = state();
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const r = await box.post('/keys/repos/add/confirm', {
    name: 'pinned',
    url: repo,
    key: key.publicKey,
    repository: 'someone-else',
    fingerprint: key.fingerprint,
    confirm: 'yes',
  });
  const page = await box.jobEnd(r.headers.location!);
  expect(page).toMatch(/data-testid="job-state">failed/);
  expect(page).toContain('Nothing was kept: repository pinned was removed');
  expect(state()).toEqual(before);
});

it('keeps the key and the repository when the first update cannot reach it, as `bpkg repo add` and a failed `bpkg update` do', async () => {
  const before = state();
  const { key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const url = await down();
  const r = await box.post('/keys/repos/add/confirm', {
    name: 'later',
    url,
    key: key.publicKey,
    fingerprint: key.fingerprint,
    confirm: 'yes',
  });
  const page = (await box.jobEnd(r.headers.location!)).replaceAll('&#96;', '`');
  expect(page).toMatch(/data-testid="job-state">failed/);
  expect(page).toContain('Cannot reach');
  expect(page).toContain(
    `Repository later and key ${showFingerprint(key.fingerprint)} are kept, as \`bpkg repo add\` keeps them`,
  );
  expect(page).toContain('The next update fetches its index (Update on the Packages page, or `bpkg update`)');
  expect(state().repos).toEqual([...before.repos, 'later.json'].sort());
  const b = openBox(box.root);
  expect((await b.keys.list()).find((k) => k.fingerprint === key.fingerprint)?.repositories).toEqual([
    'later',
  ]);
  expect((await b.repos.list()).find((x) => x.name === 'later')?.url).toBe(url);
});
