/**
 * "Add a repository…" in Chromium, on a real box (a temp root trusting the signed repository
 * `main`; no Podman). Adding a repository and trusting its key were CLI-only (`bpkg key add`,
 * `bpkg repo add`, `bpkg update`). Now the admin gives a name and a URL, chooses the publisher's
 * key file (CDP's DOM.setFileInputFiles, as the file dialog does; the page reads it into the key's
 * text box), sees the key's full fingerprint and its scope, ticks the confirmation, and the first
 * update's job leads to the repository's packages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { showFingerprint } from '../../src/present/fingerprint.js';
import { appOps } from '../../src/web/app-ops.js';
import { signedRepo, type TestKey, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { freePort } from './dashboard-harness.js';

let root: string;
let b: InBrowser;
let extra: { key: TestKey; repo: string };
const mainText = async () => String(await b.page.evaluate(`document.querySelector('main').innerText`));

beforeAll(async () => {
  if (!runnable) return;
  const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
  root = await trustingRoot(key, repo);
  extra = await signedRepo([
    { name: 'tool', version: '1.0.0', summary: 'a tool from extra' },
    { name: 'gadget', version: '0.3.0' },
  ]);
  b = await dashboardInBrowser(appOps(root));
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe.skipIf(!runnable)('adding a repository from the browser, in Chromium', () => {
  it("adds a repository with its key file, after showing the key's fingerprint, and shows its packages", async () => {
    await b.page.goto(`${b.base}/keys`);
    await Promise.all([b.page.waitForNavigation(), b.page.click('a[href="/keys/repos/add"]')]);
    await b.page.type('#repo-name', 'extra');
    await b.page.type('#repo-url', extra.repo);
    // The file chooser is the page script's (hidden without JavaScript); it fills the text box.
    await b.page.waitForSelector('#repo-key-file', { visible: true });
    const input = (await b.page.$('#repo-key-file')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(extra.key.publicFile);
    await b.page.waitForFunction(
      `document.getElementById('repo-key').value.includes('BEGIN PGP PUBLIC KEY')`,
    );
    await Promise.all([b.page.waitForNavigation(), b.page.click('form[action="/keys/repos/add"] button')]);

    const asked = await mainText();
    expect(asked).toContain('Trust this key and add repository extra?');
    expect(asked).toContain(showFingerprint(extra.key.fingerprint));
    expect(asked).toContain('trusted for repository extra only');
    expect(await openBox(root).keys.list()).toHaveLength(1);

    // Not ticked: the browser itself refuses to send the form (required); nothing changes.
    await b.page.click('form[action="/keys/repos/add/confirm"] button');
    expect(b.page.url()).toMatch(/\/keys\/repos\/add$/);
    await b.page.click('form[action="/keys/repos/add/confirm"] input[name=confirm]');
    await Promise.all([
      b.page.waitForNavigation(),
      b.page.click('form[action="/keys/repos/add/confirm"] button'),
    ]);
    // The job's page, then (once the update ended well) the repository's packages.
    await b.page.waitForFunction(`location.pathname + location.search === '/packages?repo=extra'`);
    const text = await mainText();
    expect(text).toContain('Packages of repository extra');
    expect(text).toContain('a tool from extra');
    expect(text).toMatch(/gadget/);
    expect(text).not.toMatch(/\bapp\b/);

    const box = openBox(root);
    const k = (await box.keys.list()).find((x) => x.fingerprint === extra.key.fingerprint);
    expect(k?.repositories).toEqual(['extra']);
    await b.page.goto(`${b.base}/keys`);
    expect(await mainText()).toContain('repository extra only');
  });

  it('adds a repository whose URL is down with two mirrors and its published name, and updates it from a mirror', async () => {
    const { key, repo } = await signedRepo([{ name: 'mirrored-tool', version: '1.0.0' }]);
    const published = JSON.parse(readFileSync(path.join(repo, 'index.json'), 'utf8')).repository;
    const down = `http://127.0.0.1:${await freePort()}/repo`;
    const alsoDown = `http://127.0.0.1:${await freePort()}/mirror`;
    await b.page.goto(`${b.base}/keys/repos/add`);
    await b.page.type('#repo-name', 'mirrored');
    await b.page.type('#repo-url', down);
    // The optional fields are folded away until asked for.
    expect(await b.page.$eval('details', (e) => (e as unknown as { open: boolean }).open)).toBe(false);
    await b.page.click('details summary');
    await b.page.type('#repo-mirrors', `${alsoDown}\n${repo}`);
    await b.page.type('#repo-published', published);
    await b.page.$eval(
      '#repo-key',
      (e, v) => {
        (e as unknown as { value: string }).value = v;
      },
      key.publicKey,
    );
    await Promise.all([b.page.waitForNavigation(), b.page.click('form[action="/keys/repos/add"] button')]);
    const asked = await mainText();
    expect(asked).toContain(`Mirrors\n${alsoDown}\n${pathToFileURL(repo).href}`);
    expect(asked).toContain(`Published name\n${published}`);
    expect(asked).toContain('One that cannot be reached at all keeps both');
    await b.page.click('form[action="/keys/repos/add/confirm"] input[name=confirm]');
    await Promise.all([
      b.page.waitForNavigation(),
      b.page.click('form[action="/keys/repos/add/confirm"] button'),
    ]);
    await b.page.waitForFunction(`location.pathname + location.search === '/packages?repo=mirrored'`);
    expect(await mainText()).toContain('mirrored-tool');
    const config = (await openBox(root).repos.list()).find((x) => x.name === 'mirrored');
    expect(config).toMatchObject({
      url: down,
      mirrors: [alsoDown, pathToFileURL(repo).href],
      repository: published,
      keys: [key.fingerprint],
    });
  });
});
