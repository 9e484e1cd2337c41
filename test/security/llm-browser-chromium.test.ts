/**
 * The llm service behind a loopback forwarder (the README's socat line), in Debian's Chromium: what
 * a page can do with it. This machine's own page (http://localhost:PORT) calls the forwarder with a
 * JSON POST, which Chromium sends only after a CORS preflight, and reads the answer, as a page may
 * with Ollama (its allowed origins); another site's page (attacker.example, resolved to 127.0.0.1 by
 * Chromium's host rules) gets nothing run by a no-cors POST, and a page whose name points at the
 * forwarder itself (DNS rebinding: same origin, no preflight) reads a 403, not the model list.
 * The raw-request cases are llm-browser-requests.test.ts.
 */
import { existsSync } from 'node:fs';
import { type Server as HttpServer, createServer as httpServer } from 'node:http';
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { relayTo } from '../helpers/relay.js';
import { bundleLlm, serveLlm } from '../helpers/served-llm.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { tempDir } from '../setup/temp-registry.js';

let llm: ServedProcess;
let forwarder: Server;
let pages: HttpServer;
let browser: Browser;
let port = 0;
let pagePort = 0;
const served = tempDir('llm-chromium-');

const listen = (s: Server | HttpServer) =>
  new Promise<number>((done) => s.listen(0, '127.0.0.1', () => done((s.address() as { port: number }).port)));

beforeAll(async () => {
  llm = await serveLlm(await bundleLlm(served), join(served, 'api.sock'));
  forwarder = relayTo(llm.socket);
  port = await listen(forwarder);
  pages = httpServer((_req, res) => res.end('<!doctype html><title>page</title>'));
  pagePort = await listen(pages);
  browser = await launchChromium(
    join(served, 'chromium'),
    '--host-resolver-rules=MAP attacker.example 127.0.0.1',
  );
}, 120_000);
afterAll(async () => {
  await browser?.close();
  pages?.close();
  forwarder?.close();
  llm?.kill();
});

const chat = {
  model: 'tiny-llama',
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  options: { num_predict: 1 },
};

/** Runs `script(arg)` in a page opened at `url`. */
async function inPage<T>(url: string, script: (arg: string) => Promise<T>, arg: string): Promise<T> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    return await page.evaluate(script, arg);
  } finally {
    await page.close();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('the llm behind a loopback forwarder, in Chromium', () => {
  it("this machine's own page calls it with a JSON POST (after a preflight) and reads the answer", async () => {
    const r = await inPage(
      `http://localhost:${pagePort}/`,
      async (arg) => {
        const { url, body } = JSON.parse(arg);
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          return { status: res.status, done: ((await res.json()) as { done: unknown }).done };
        } catch (err) {
          return { status: 0, done: String(err) };
        }
      },
      JSON.stringify({ url: `http://127.0.0.1:${port}/api/chat`, body: JSON.stringify(chat) }),
    );
    expect(r).toEqual({ status: 200, done: true });
  });

  it("another site's page runs nothing, and a rebound name reads a 403", async () => {
    const before = llm.log().length;
    await inPage(
      `http://attacker.example:${pagePort}/`,
      async (arg) => {
        const { url, body } = JSON.parse(arg);
        await fetch(url, { method: 'POST', mode: 'no-cors', body }).catch(() => undefined);
        return null;
      },
      JSON.stringify({ url: `http://127.0.0.1:${port}/api/chat`, body: JSON.stringify(chat) }),
    );
    expect(llm.log().slice(before)).toMatch(/refused 403 \/api\/chat/);
    expect(llm.log().slice(before)).not.toMatch(/answered/);
    // The page's own origin is the forwarder's port: its requests are same-origin, no preflight.
    const rebound = await inPage(
      `http://attacker.example:${port}/health`,
      async (path) => {
        const res = await fetch(path);
        return { status: res.status, text: await res.text() };
      },
      '/api/tags',
    );
    expect(rebound.status).toBe(403);
    expect(rebound.text).not.toContain('tiny-llama');
  });
});
