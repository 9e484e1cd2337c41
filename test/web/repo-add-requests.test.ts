/**
 * "Add a repository…" on the dashboard's Keys & repositories page, request by request over its
 * unix socket, on a real box (a temp root trusting the signed repository `main`; the real keyring,
 * OpenPGP and update). Trusting a key and adding a repository were CLI-only (`bpkg key add FILE
 * --fingerprint FPR`, `bpkg repo add NAME URL --key FPR`, `bpkg update`). Now: a name, a URL and
 * the repository's armoured public key; a confirmation page with the key's full fingerprint, its
 * user ids (escaped) and its scope (this repository only), confirmed by a tick; then the first
 * update as a job that leads to the repository's packages. Every refusal is said in words and
 * writes nothing; a first update whose index that key did not sign keeps neither the key nor the
 * repository.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { applyRevocation } from '../../src/core/pkg/index.js';
import { LocalKey } from '../../src/core/pkg/local-key.js';
import { layout } from '../../src/core/system/paths.js';
import { showFingerprint } from '../../src/present/fingerprint.js';
import { makeKey, signedRepo, tempDir } from '../helpers/pkg.js';
import { boxDashboard } from './box-dashboard.js';

const box = boxDashboard([{ name: 'app', version: '1.0.0' }], 'app', 'bp-web-repo-add-');

/** What the box trusts and has configured: a refusal must leave both as they were. */
const state = () => ({
  keys: readdirSync(path.join(box.root, 'etc/blueprint/keys')).sort(),
  repos: readdirSync(path.join(box.root, 'etc/blueprint/repos.d')).sort(),
});

/** The text a page shows in its error notice (the refusal). */
const refusal = (body: string) =>
  body.match(/class="card flash error" role="status"><strong>Error: <\/strong>([\s\S]*?)<\/div>/)?.[1] ?? '';

async function asked(fields: Record<string, string>) {
  return box.post('/keys/repos/add', fields);
}

it('shows the form, and refuses without the session or the CSRF token', async () => {
  const form = await box.get('/keys/repos/add');
  expect(form.status).toBe(200);
  expect(form.body).toMatch(/<form method="post" action="\/keys\/repos\/add"/);
  expect(form.body).toMatch(/<textarea[^>]* name="key"/);
  expect((await box.get('/keys')).body).toContain('href="/keys/repos/add"');
  const before = state();
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const fields = {
    name: 'extra',
    url: repo,
    key: key.publicKey,
    fingerprint: key.fingerprint,
    confirm: 'yes',
  };
  const noCsrf = await box.post('/keys/repos/add/confirm', { ...fields, _csrf: 'wrong' });
  expect(noCsrf.status).toBe(403);
  expect(state()).toEqual(before);
});

it("refuses, in the CLI's words and writing nothing, a bad name, a taken one, a bad URL, no key, several keys", async () => {
  const before = state();
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const other = await makeKey(path.join(tempDir(), 'other'));
  const cases: [Record<string, string>, RegExp, number][] = [
    [{ name: 'Bad Name', url: repo, key: key.publicKey }, /Bad repository name Bad Name/, 400],
    [{ name: 'local', url: repo, key: key.publicKey }, /A repository cannot be named local/, 400],
    [{ name: 'main', url: repo, key: key.publicKey }, /Repository main already exists/, 409],
    [{ name: 'extra', url: 'ftp://example.org/x', key: key.publicKey }, /Unsupported repository URL/, 400],
    [{ name: 'extra', url: '', key: key.publicKey }, /Give the repository&#39;s URL/, 400],
    [{ name: 'extra', url: repo, key: 'not a key' }, /holds no OpenPGP key|Misformed armored text/, 400],
    [{ name: 'extra', url: repo, key: `${key.publicKey}\n${other.publicKey}` }, /more than one key/, 400],
  ];
  for (const [fields, words, status] of cases) {
    const r = await asked(fields);
    expect(refusal(r.body), `${fields.name} ${fields.url}`).toMatch(words);
    expect(r.status).toBe(status);
    // The form again, as it was filled in (escaped), to correct.
    expect(r.body).toMatch(/<form method="post" action="\/keys\/repos\/add"/);
  }
  expect(state()).toEqual(before);
});

it("refuses a secret key, a revoked or expired key, a key trusted for another repository, the box's own key, and an oversized block", async () => {
  const before = state();
  const { repo, key } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const secret = await asked({ name: 'extra', url: repo, key: key.privateKey });
  expect(secret.status).toBe(400);
  expect(refusal(secret.body)).toMatch(/private key/);
  expect(secret.body).not.toContain(key.privateKey.split('\n')[3]!);

  const revoked = await asked({
    name: 'extra',
    url: repo,
    key: await applyRevocation(key.publicKey, key.revocationCertificate),
  });
  expect(revoked.status).toBe(400);
  expect(refusal(revoked.body)).toMatch(/is revoked/);

  const old = await makeKey(path.join(tempDir(), 'old'), {
    date: new Date(Date.now() - 3 * 86_400_000),
    expiresInSeconds: 86_400,
  });
  const expired = await asked({ name: 'extra', url: repo, key: old.publicKey });
  expect(expired.status).toBe(400);
  expect(refusal(expired.body)).toMatch(/expired/);

  // main's own key: trusted already, and bound to main only.
  const bound = await asked({ name: 'extra', url: repo, key: box.key.publicKey });
  expect(bound.status).toBe(409);
  expect(refusal(bound.body)).toContain(
    `Key ${showFingerprint(box.key.fingerprint)} is already trusted for repository main`,
  );

  // The box's own key for local packages (made by a model import): refused before anything is asked.
  const local = new LocalKey(layout(box.root));
  const localFpr = await local.ensure();
  const own = await asked({
    name: 'extra',
    url: repo,
    key: readFileSync(path.join(local.dir, 'public.asc'), 'utf8'),
  });
  expect(own.status).toBe(400);
  expect(refusal(own.body)).toContain(
    `Key ${showFingerprint(localFpr)} is this box&#39;s own key for local packages`,
  );

  const big = await asked({ name: 'extra', url: repo, key: `${key.publicKey}\n${' '.repeat(40_000)}` });
  expect(big.status).toBe(413);
  expect(refusal(big.body)).toMatch(/larger than 32 KiB/);
  expect(state()).toEqual(before);
});

it('asks with the full fingerprint, the user ids escaped and the scope; adds nothing without the tick', async () => {
  const before = state();
  const hostile = await makeKey(path.join(tempDir(), 'hostile'), { name: 'Evil <b>bold</b> \x1b[31m' });
  const { repo } = await signedRepo([{ name: 'tool', version: '1.0.0' }], hostile);
  const ask = await asked({ name: 'extra', url: repo, key: hostile.publicKey });
  expect(ask.status).toBe(200);
  expect(ask.body).toContain(showFingerprint(hostile.fingerprint));
  expect(ask.body).toContain('Evil &lt;b&gt;bold&lt;/b&gt; \\x1b[31m');
  expect(ask.body).not.toContain('<b>bold');
  expect(ask.body).toContain('trusted for repository extra only');
  expect(ask.body).toMatch(/<input type="checkbox" name="confirm"[^>]* required/);
  expect(state()).toEqual(before);
  // A browser's text box sends CR LF: the key the confirmation carries is still armour (no \x0d).
  const crlf = await asked({ name: 'extra', url: repo, key: hostile.publicKey.replace(/\n/g, '\r\n') });
  expect(crlf.status).toBe(200);
  const carried = crlf.body.match(/<input type="hidden" name="key" value="([^"]*)"/)?.[1] ?? '';
  expect(carried).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----\n');
  expect(carried).not.toContain('\\x0d');

  const fields = { name: 'extra', url: repo, key: hostile.publicKey, fingerprint: hostile.fingerprint };
  const unticked = await box.post('/keys/repos/add/confirm', fields);
  expect(unticked.status).toBe(400);
  expect(refusal(unticked.body)).toMatch(/tick the confirmation/);
  // A key other than the one shown (the form altered): the pin refuses it, as --fingerprint does.
  const other = await makeKey(path.join(tempDir(), 'swapped'));
  const swapped = await box.post('/keys/repos/add/confirm', {
    ...fields,
    key: other.publicKey,
    confirm: 'yes',
  });
  expect(swapped.status).toBe(400);
  expect(refusal(swapped.body)).toMatch(/does not match the expected/);
  expect(state()).toEqual(before);
});

it('keeps neither the key nor the repository when its index is not signed by that key, and says so', async () => {
  const before = state();
  const { repo } = await signedRepo([{ name: 'tool', version: '1.0.0' }]);
  const wrong = await makeKey(path.join(tempDir(), 'wrong'));
  const r = await box.post('/keys/repos/add/confirm', {
    name: 'extra',
    url: repo,
    key: wrong.publicKey,
    fingerprint: wrong.fingerprint,
    confirm: 'yes',
  });
  expect(r.status).toBe(303);
  expect(r.headers.location).toMatch(/^\/jobs\//);
  const page = await box.jobEnd(r.headers.location!);
  expect(page).toMatch(/data-testid="job-state">failed/);
  expect(page).toContain('extra: REFUSED:');
  expect(page).toContain(
    `Nothing was kept: repository extra was removed and key ${showFingerprint(wrong.fingerprint)} is not trusted`,
  );
  expect(state()).toEqual(before);
});

it('trusts the key for that repository only, runs the first update as a job, and leads to its packages', async () => {
  const { repo, key } = await signedRepo([
    { name: 'tool', version: '1.0.0' },
    { name: 'other-tool', version: '2.0.0' },
  ]);
  const r = await box.post('/keys/repos/add/confirm', {
    name: 'extra',
    url: repo,
    key: key.publicKey,
    fingerprint: key.fingerprint,
    confirm: 'yes',
  });
  expect(r.status).toBe(303);
  // The job's lines, as its page streams them; once done, its page leads to the repository's packages.
  const lines = (await box.get(`${r.headers.location}/events`)).body;
  expect(lines).toContain(`trusted ${showFingerprint(key.fingerprint)} (Test repository`);
  expect(lines).toContain('for repository extra only');
  expect(lines).toContain('extra: updated to version 1 (2 packages)');
  expect(lines).toContain('event: end\ndata: done');
  const done = await box.get(r.headers.location!);
  expect(done.status).toBe(303);
  expect(done.headers.location).toBe('/packages?repo=extra');
  const b = openBox(box.root);
  const listed = (await b.keys.list()).find((k) => k.fingerprint === key.fingerprint);
  expect(listed?.repositories).toEqual(['extra']);
  expect((await b.repos.list()).find((x) => x.name === 'extra')?.keys).toEqual([key.fingerprint]);
  const pkgs = await box.get('/packages?repo=extra');
  expect(pkgs.status).toBe(200);
  expect(pkgs.body).toContain('<strong>tool</strong>');
  expect(pkgs.body).toContain('<strong>other-tool</strong>');
  expect(pkgs.body).not.toContain('<strong>app</strong>');
  // Added again: the name is taken now, refused before anything is asked.
  const again = await asked({ name: 'extra', url: repo, key: key.publicKey });
  expect(again.status).toBe(409);
  expect(refusal(again.body)).toMatch(/Repository extra already exists/);
});
