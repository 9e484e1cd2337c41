/**
 * The dashboard's Models page, and its Keys & repositories page, in Chromium on a real box (two
 * GGUFs imported as model packages, a signed repository; no Podman). The dashboard had no Models
 * page at all (`blueprint model list|show|default|rm` only), and its repositories table said
 * neither what each key is trusted for, nor when an index was fetched, nor what it offers. Now:
 * the models with size, quantisation (from the GGUF), origin and the default; a model's details
 * as `model show`; Make default by the keyboard alone; Remove through the package removal's
 * confirmation and job; each key's scope, each repository's update time and packages; removing a
 * repository after a confirmation that says what stays installed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { repoRoot, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const F32 = path.join(repoRoot, 'test/fixtures/models/tiny-llama/tiny-llama-f32.gguf');

let root: string;
let b: InBrowser;
const mainText = async () => String(await b.page.evaluate(`document.querySelector('main').innerText`));
const rowText = async (id: string) =>
  String(await b.page.evaluate(`document.querySelector('[data-testid="${id}"]').innerText`));

beforeAll(async () => {
  if (!runnable) return;
  const { key, repo } = await signedRepo([
    { name: 'app', version: '1.0.0' },
    // A package that needs the model imported as tiny: that model cannot be removed under it.
    { name: 'chat', version: '1.0.0', depends: ['model-tiny>=1.0.0'] },
  ]);
  root = await trustingRoot(key, repo);
  const box = openBox(root, { yes: true });
  await box.models.import(Q8, { name: 'tiny' });
  await box.models.import(F32, { name: 'other' });
  await box.packages.install(['chat']);
  b = await dashboardInBrowser(appOps(root));
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe.skipIf(!runnable)('models and repositories, in Chromium', () => {
  it('lists the models with size, quantisation, origin and the default; sets it by the keyboard', async () => {
    await b.page.goto(`${b.base}/models`);
    expect(await rowText('model-tiny')).toMatch(
      /tiny\s+[\d.]+ (?:KiB|MiB)\s+Q8_0\s+1\.0\.0\s+imported on this box/,
    );
    expect(await rowText('model-other')).toMatch(
      /other\s+[\d.]+ (?:KiB|MiB)\s+F32\s+1\.0\.0\s+imported on this box/,
    );
    // None set: llm serves the first by name, and the page says which.
    expect(await mainText()).toContain('No default model set: llm serves the first by name, other');
    // Served as the first by name, not set: said, and it can be made the default.
    expect(await rowText('model-other')).toMatch(/served: none set\s+Make default/);

    // The keyboard alone: Tab until tiny's Make default has the focus, then Enter.
    let focused = '';
    for (let i = 0; i < 40 && !focused.includes('tiny'); i++) {
      await b.page.keyboard.press('Tab');
      focused = String(
        await b.page.evaluate(
          `(() => { const e = document.activeElement; return e?.textContent === 'Make default' ? e.closest('tr').dataset.testid : ''; })()`,
        ),
      );
    }
    expect(focused).toBe('model-tiny');
    await Promise.all([b.page.waitForNavigation(), b.page.keyboard.press('Enter')]);
    expect(b.page.url()).toMatch(/\/models\?notice=/);
    expect(await mainText()).toContain(
      "default model: tiny; it applies at llm's next start: `blueprint service restart llm`",
    );
    expect((await openBox(root).models.defaultModel()).default).toBe('tiny');
    expect(await rowText('model-tiny')).toMatch(/\tdefault\t/);
    expect(await rowText('model-other')).not.toContain('served');
  });

  it("shows a model's details as `model show` does", async () => {
    await b.page.goto(`${b.base}/models`);
    await Promise.all([b.page.waitForNavigation(), b.page.click('a[href="/models/tiny"]')]);
    const text = await mainText();
    expect(text).toMatch(/model\s+tiny \(model-tiny 1\.0\.0, origin local\)/);
    expect(text).toMatch(/quantisation\s+Q8_0/);
    expect(text).toMatch(/sha256\s+[0-9a-f]{64}/);
    const unknown = await b.page.goto(`${b.base}/models/nope`);
    expect(unknown?.status()).toBe(404);
    expect(await mainText()).toContain('No model named nope is installed');
  });

  it('removes a model through the removal confirmation and its job', async () => {
    await b.page.goto(`${b.base}/models`);
    await Promise.all([b.page.waitForNavigation(), b.page.click('a[href="/packages/model-other/remove"]')]);
    expect(await mainText()).toContain('Remove model-other?');
    await Promise.all([b.page.waitForNavigation(), b.page.click('main form button[type=submit]')]);
    await b.page.waitForFunction(`document.querySelector('[data-when-done]')?.hidden === false`);
    expect(await rowText('job-state')).toBe('done');
    expect((await openBox(root).packages.list()).map((p) => p.name).sort()).toEqual(['chat', 'model-tiny']);
    await b.page.goto(`${b.base}/models`);
    expect(await b.page.$('[data-testid="model-other"]')).toBeNull();

    // The refusal `blueprint model rm tiny` gives: chat needs it; nothing removed.
    await Promise.all([b.page.waitForNavigation(), b.page.click('a[href="/packages/model-tiny/remove"]')]);
    await Promise.all([b.page.waitForNavigation(), b.page.click('main form button[type=submit]')]);
    await b.page.waitForFunction(`document.querySelector('[data-when-done]')?.hidden === false`);
    expect(await rowText('job-state')).toBe('failed');
    expect(await rowText('progress')).toContain('model-tiny is needed by chat');
    expect((await openBox(root).packages.list()).map((p) => p.name).sort()).toEqual(['chat', 'model-tiny']);
  });

  it("says what each key is trusted for, and each repository's update time and packages", async () => {
    await b.page.goto(`${b.base}/keys`);
    expect(await rowText('scope')).toBe('repository main only');
    const repo = await rowText('repo-main');
    expect(repo).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(repo).toMatch(/\bapp, chat\s+Remove…$/);
  });

  it('removes a repository after asking, saying what stays installed, as bpkg repo remove does', async () => {
    await b.page.goto(`${b.base}/keys`);
    await Promise.all([b.page.waitForNavigation(), b.page.click('a[href="/keys/repos/main/remove"]')]);
    const asked = await mainText();
    expect(asked).toContain('Remove repository main?');
    expect(asked).toContain('Installed from it: chat: it stays installed, not upgraded');
    expect((await openBox(root).repos.list()).map((r) => r.name)).toEqual(['main']);
    // Confirmed by the keyboard: the button has the focus.
    await Promise.all([b.page.waitForNavigation(), b.page.keyboard.press('Enter')]);
    expect(b.page.url()).toMatch(/\/keys\?notice=/);
    const text = await mainText();
    expect(text).toContain('removed repository main');
    expect(text).toContain('chat (installed from main) stays installed but is not upgraded');
    expect(await openBox(root).repos.list()).toEqual([]);
    expect(await rowText('scope')).toBe('no repository bound to it');
    expect((await b.page.goto(`${b.base}/keys/repos/main/remove`))?.status()).toBe(404);
  });
});
