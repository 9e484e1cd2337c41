/**
 * The dashboard's Tokens page, in Chromium on a real box (registered modules, no Podman: llm gives
 * each user a token of its own, rag uses it, hello reads no token). The dashboard had no page for
 * the modules' access tokens (`blueprint service token`, `service rotate-tokens` only). Now it says
 * which take one and have one and who uses them; New token… asks, then writes one as the CLI does
 * and shows it once, as the POST's answer (not in the address, `no-store`); New tokens for its
 * users… gives rag a new token for llm, which llm's kit takes and the old one no longer.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readToken } from '../../src/core/services/wiring.js';
import { appOps } from '../../src/web/app-ops.js';
import {
  consumerSpec,
  providerSpec,
  providerTokens,
  register,
  starts,
  tokenRoot,
} from '../helpers/client-token-box.js';
import { tempDir } from '../setup/temp-registry.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';

let root: string;
let b: InBrowser;
let engine: Server;

const mainText = async () => String(await b.page.evaluate(`document.querySelector('main').innerText`));
const rowText = async (id: string) =>
  String(await b.page.evaluate(`document.querySelector('[data-testid="${id}"]').innerText`));
const go = (click: string) => Promise.all([b.page.waitForNavigation(), b.page.click(click)]);

beforeAll(async () => {
  if (!runnable) return;
  root = tokenRoot('bp-web-tokens-');
  await register(root, 'llm', providerSpec('llm'));
  await register(root, 'rag', consumerSpec(), ['llm']);
  await register(root, 'hello', consumerSpec('/run/h'));
  // The engine, as far as the rotation asks it: no container runs.
  const sock = path.join(tempDir('bp-web-tokens-engine-'), 'podman.sock');
  engine = createServer((c) =>
    c.once('data', () => {
      const body = JSON.stringify({ message: 'no such container' });
      c.end(
        `HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    }),
  );
  await new Promise<void>((r) => engine.listen(sock, r));
  b = await dashboardInBrowser(appOps(root, { CONTAINER_HOST: `unix://${sock}` }));
}, 120_000);

afterAll(async () => {
  await b?.close();
  engine?.close();
});

describe.skipIf(!runnable)('access tokens, in Chromium', () => {
  it('says which modules take a token, have one, and who uses them', async () => {
    await b.page.goto(`${b.base}/tokens`);
    expect(await rowText('token-llm')).toMatch(
      /llm\s+none: any local client may use its API\s+rag \(each with a token of its own\)/,
    );
    expect(await rowText('token-hello')).toMatch(/hello\s+reads none/);
    expect(await b.page.$('a[href="/tokens/hello/new"]')).toBeNull();
  });

  it('makes a new token after asking, shows it once and only as the answer to the POST', async () => {
    await b.page.goto(`${b.base}/tokens`);
    await go('a[href="/tokens/llm/new"]');
    expect(await mainText()).toContain('Make a new access token for llm?');
    expect(await readToken(root, 'llm')).toBeUndefined();
    // Confirmed by the keyboard: the button has the focus.
    const [answer] = await Promise.all([b.page.waitForNavigation(), b.page.keyboard.press('Enter')]);
    expect(answer?.headers()['cache-control']).toBe('no-store');
    const token = String(await b.page.evaluate(`document.querySelector('#token').value`));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(String(await readToken(root, 'llm')).trim()).toBe(token);
    expect(b.page.url()).toBe(`${b.base}/tokens/llm/new`);
    expect(await mainText()).toContain('blueprint service restart llm && blueprint service restart rag');
    await b.page.goto(`${b.base}/tokens`);
    expect(await b.page.content()).not.toContain(token);
    expect(await rowText('token-llm')).toMatch(/llm\s+set/);
  });

  it("gives llm's users new tokens after asking; llm's kit refuses the old one", async () => {
    const old = await starts(root, 'rag');
    expect(providerTokens(root).identify(old)).toBe('rag');
    await b.page.goto(`${b.base}/tokens`);
    await go('a[href="/tokens/llm/consumers"]');
    expect(await mainText()).toContain('New tokens for the modules that use llm: rag?');
    await go('main form button[type=submit]');
    expect(await mainText()).toContain('new tokens for llm: rag; llm refuses the old ones within a second');
    expect(providerTokens(root).identify(old)).toBeUndefined();
    const copy = readFileSync(path.join(root, 'run/blueprint/wiring/rag/llm.token'), 'utf8').trim();
    expect(providerTokens(root).identify(copy)).toBe('rag');
  });

  it('sets a token of your own, typed in a password field and never shown back, then removes it once ticked', async () => {
    const own = 'home-lab-token-0123456789abcdef';
    await b.page.goto(`${b.base}/tokens`);
    await go('a[href="/tokens/llm/own"]');
    // The browser itself refuses a token shorter than 16 characters (minlength): nothing is sent.
    await b.page.type('#own-token', 'short');
    await b.page.click('form[action="/tokens/llm/own"] button');
    expect(b.page.url()).toBe(`${b.base}/tokens/llm/own`);
    await b.page.$eval('#own-token', (e) => {
      (e as unknown as { value: string }).value = '';
    });
    await b.page.type('#own-token', own);
    await go('form[action="/tokens/llm/own"] button');
    expect(String(await readToken(root, 'llm')).trim()).toBe(own);
    expect(await mainText()).toContain('token of llm written to');
    expect(await b.page.content()).not.toContain(own);
    // Removing: the browser asks for the tick first (required), then the token file goes.
    await b.page.goto(`${b.base}/tokens/llm/own`);
    await b.page.click('form[action="/tokens/llm/remove"] button');
    expect(b.page.url()).toBe(`${b.base}/tokens/llm/own`);
    expect(await readToken(root, 'llm')).toBeDefined();
    await b.page.click('form[action="/tokens/llm/remove"] input[name=confirm]');
    await go('form[action="/tokens/llm/remove"] button');
    expect(await mainText()).toContain('token of llm removed');
    expect(await readToken(root, 'llm')).toBeUndefined();
  });
});
