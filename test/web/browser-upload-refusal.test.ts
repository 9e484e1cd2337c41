/**
 * An upload refused before its body is read, while Chromium is still sending it (a bad name here;
 * a taken one, no room and another change running take the same path): the answer is sent with
 * the connection closed, its body unread. report-DASHUP feared the browser would then see a reset
 * connection, and the page say "The upload was cut off" instead of the refusal. In Chromium, 256
 * MiB sent by XHR as the page's script sends a GGUF, the refusal arrives as the answer (status and
 * text), through the test relay's TCP as through a tunnel on the box; this keeps it so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { signedRepo, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

let b: InBrowser;

beforeAll(async () => {
  if (!runnable) return;
  const { key, repo } = await signedRepo([{ name: 'app', version: '1.0.0' }]);
  b = await dashboardInBrowser(appOps(await trustingRoot(key, repo)));
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe.skipIf(!runnable)('an upload refused while Chromium sends it', () => {
  it('reads as the refusal, not as a connection cut', async () => {
    await b.page.goto(`${b.base}/models`);
    const csrf = await b.page.$eval('form[data-upload]', (f) => f.getAttribute('data-csrf'));
    // 256 MiB, sent by XHR as the page's script sends a GGUF, under a name the box refuses.
    // Written as the page's text: the tests are typed without the DOM's names.
    const got = String(
      await b.page.evaluate(`new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open('POST', '/import-model?name=Bad%20Name');
        x.setRequestHeader('X-CSRF-Token', ${JSON.stringify(csrf)});
        x.onload = () => resolve(x.status + ' ' + x.responseText);
        x.onerror = () => resolve('network error');
        x.send(new Blob([new Uint8Array(256 * 1024 * 1024)]));
      })`),
    );
    expect(got).toMatch(/^400 Bad model name "Bad Name"/);
  });
});
