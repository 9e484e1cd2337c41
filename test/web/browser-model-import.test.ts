/**
 * "Import a model…" in Chromium, on a real box (a temp root; no Podman): the admin chooses a .gguf
 * on their computer (CDP's DOM.setFileInputFiles, as the file dialog does), names it, and the page
 * sends it with its progress; the import's job page leads to the Models page, which lists it. A
 * model could only be added at a shell before (`blueprint model import FILE --name NAME`). The same
 * GGUF again is "unchanged", as the CLI's import run again; a name taken by a model this file cannot
 * be is refused before the file is sent, in the CLI's words. So are other bytes of the very size
 * (CONSOLE7): the page sends sampled blocks of the file with its pre-check, and the box compares them
 * with the installed GGUF's; only the size was compared, and the file was uploaded whole first.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { repoRoot, signedRepo, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

const Q8 = path.join(repoRoot, 'test/fixtures/models/tiny-llama-q8/tiny-llama-q8_0.gguf');
const F32 = path.join(repoRoot, 'test/fixtures/models/tiny-llama/tiny-llama-f32.gguf');

let root: string;
let b: InBrowser;

beforeAll(async () => {
  if (!runnable) return;
  const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
  root = await trustingRoot(key, repo);
  b = await dashboardInBrowser(appOps(root));
}, 120_000);

afterAll(async () => {
  await b?.close();
});

async function choose(name: string, file = Q8) {
  await b.page.goto(`${b.base}/models`);
  // The form is shown by the page's script (hidden without JavaScript).
  await b.page.waitForSelector('form[data-testid="model-import"]', { visible: true });
  const input = (await b.page.$('#import-file')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(file); // DOM.setFileInputFiles
  await b.page.type('#import-name', name);
}

/** `file` chosen under `name` and submitted, refused in the page: the refusal's text as shown. */
async function refusedImport(name: string, file: string): Promise<string> {
  await choose(name, file);
  await b.page.click('form[data-testid="model-import"] button[type=submit]');
  await b.page.waitForSelector('[data-testid="import-error"]', { visible: true });
  return String(await b.page.evaluate(`document.querySelector('[data-testid="import-error"]').innerText`));
}

describe.skipIf(!runnable)('importing a model from the browser, in Chromium', () => {
  it('uploads the chosen GGUF, imports it as a job and lists it', async () => {
    await choose('tiny');
    await Promise.all([
      b.page.waitForNavigation(),
      b.page.click('form[data-testid="model-import"] button[type=submit]'),
    ]);
    // The job's page (or, once it has ended well, the Models page it leads to).
    expect(b.page.url()).toMatch(/\/(jobs\/[^/]+|models)$/);
    await b.page.waitForFunction(`location.pathname === '/models'`);
    await b.page.waitForSelector('[data-testid="model-tiny"]');
    const row = String(
      await b.page.evaluate(`document.querySelector('[data-testid="model-tiny"]').innerText`),
    );
    expect(row).toMatch(/tiny\s+[\d.]+ (?:KiB|MiB)\s+Q8_0\s+1\.0\.0\s+imported on this box/);
    expect((await openBox(root).packages.list()).map((p) => p.name)).toContain('model-tiny');
  });

  it('imports the same GGUF again as unchanged, as the CLI does, and its job page stays to say so', async () => {
    await choose('tiny');
    await Promise.all([
      b.page.waitForNavigation(),
      b.page.click('form[data-testid="model-import"] button[type=submit]'),
    ]);
    expect(b.page.url()).toMatch(/\/jobs\/[^/]+$/);
    await b.page.waitForFunction(
      `document.querySelector('[data-testid="job-state"]')?.textContent === 'done'`,
    );
    await new Promise((r) => setTimeout(r, 300)); // no navigation to /models follows
    expect(b.page.url()).toMatch(/\/jobs\/[^/]+$/);
    expect(String(await b.page.evaluate('document.body.innerText'))).toContain(
      'model-tiny 1.0.0 is installed already with this GGUF: unchanged',
    );
    expect((await openBox(root).packages.list()).filter((p) => p.name === 'model-tiny')).toHaveLength(1);
  });

  it('says a name taken by another model as the CLI says it, before sending the file', async () => {
    const text = await refusedImport('tiny', F32);
    expect(text).toContain('model-tiny is already installed (version 1.0.0, from local)');
    expect(text).toContain('hint: Choose another --name, or remove it first');
    expect(b.page.url()).toBe(`${b.base}/models`);
  });

  it('refuses other bytes of the same size before sending them, in the CLI words', async () => {
    // The installed GGUF with one byte of its last block changed: its size, not its bytes.
    const other = path.join(tmpdir(), `console7-other-${process.pid}.gguf`);
    copyFileSync(Q8, other);
    const bytes = readFileSync(other);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(other, bytes);
    const posts: string[] = [];
    const seen = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST') posts.push(r.url());
    };
    b.page.on('request', seen);
    try {
      const text = await refusedImport('tiny', other);
      expect(text).toContain('model-tiny is already installed (version 1.0.0, from local)');
      expect(text).toContain('hint: Choose another --name, or remove it first');
      // Nothing was sent: no upload, no job.
      expect(posts).toEqual([]);
      expect(b.page.url()).toBe(`${b.base}/models`);
    } finally {
      b.page.off('request', seen);
      rmSync(other, { force: true });
    }
  });
});
