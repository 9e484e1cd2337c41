/**
 * The kit's KIT_ORIGINS setting (`blueprint service config NAME KIT_ORIGINS=...`), in Debian's
 * Chromium: a module behind a loopback forwarder, as the llm README forwards it. Without it, a page
 * of another origin (a LAN address, an extension) cannot call the module: its JSON POST's preflight
 * is a 403. With that exact origin in KIT_ORIGINS (read from the environment blueprint gives the
 * container), the page calls it and reads the answer; a page of any other site still runs nothing.
 * `*` lets every site's pages in, but a rebound Host (a site's name pointed at the forwarder) is
 * still refused.
 */
import { existsSync } from 'node:fs';
import { type Server as HttpServer, createServer as httpServer, request } from 'node:http';
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { relayTo } from '../helpers/relay.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('kit-origins-');
let browser: Browser;
let pages: HttpServer;
let pagePort = 0;
const kits: { kit: KitServer; forwarder: Server }[] = [];

const listen = (s: Server | HttpServer) =>
  new Promise<number>((done) => s.listen(0, '127.0.0.1', () => done((s.address() as { port: number }).port)));

/** A kit server with KIT_ORIGINS=`origins` in its environment, behind a TCP forwarder: its port and what ran. */
async function served(origins: string | undefined) {
  const ran: string[] = [];
  const logged: string[] = [];
  const had = process.env.KIT_ORIGINS;
  if (origins === undefined) delete process.env.KIT_ORIGINS;
  else process.env.KIT_ORIGINS = origins;
  let kit: KitServer;
  try {
    kit = createKitServer({
      log: createLog({ name: 'origins', write: (t) => logged.push(t) }),
      errorBody: (err) => ({ error: err.message }),
      routes: {
        '/work': {
          method: 'POST',
          handle: async (ctx) => {
            ran.push(JSON.stringify(await ctx.json()));
            return { body: { done: true } };
          },
        },
      },
    });
  } finally {
    if (had === undefined) delete process.env.KIT_ORIGINS;
    else process.env.KIT_ORIGINS = had;
  }
  const socket = join(dir, `${kits.length}.sock`);
  await kit.listen(socket);
  const forwarder = relayTo(socket);
  kits.push({ kit, forwarder });
  return { port: await listen(forwarder), ran, logged };
}

beforeAll(async () => {
  pages = httpServer((_req, res) => res.end('<!doctype html><title>page</title>'));
  pagePort = await listen(pages);
  if (!existsSync(CHROMIUM)) return;
  browser = await launchChromium(
    join(dir, 'chromium'),
    '--host-resolver-rules=MAP allowed.example 127.0.0.1, MAP attacker.example 127.0.0.1',
  );
}, 120_000);
afterAll(async () => {
  await browser?.close();
  pages?.close();
  for (const k of kits) {
    k.forwarder.close();
    await k.kit.drain(0);
  }
});

/** A JSON POST from a page opened at `pageUrl` to the forwarder at `port`: its status, or the error. */
async function postFromPage(pageUrl: string, port: number): Promise<{ status: number; done: unknown }> {
  const page = await browser.newPage();
  try {
    await page.goto(pageUrl);
    return await page.evaluate(async (url) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            from: (globalThis as unknown as { location: { host: string } }).location.host,
          }),
        });
        return { status: res.status, done: ((await res.json()) as { done: unknown }).done };
      } catch (err) {
        return { status: 0, done: String(err) };
      }
    }, `http://127.0.0.1:${port}/work`);
  } finally {
    await page.close();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('KIT_ORIGINS in Chromium', () => {
  it('without it, a page of another origin calls nothing', async () => {
    const k = await served(undefined);
    const r = await postFromPage(`http://allowed.example:${pagePort}/`, k.port);
    expect(r.status).toBe(0); // its preflight refused: "Failed to fetch"
    expect(k.ran).toEqual([]);
  });

  it('with that exact origin, the page calls it and reads the answer; another site still runs nothing', async () => {
    const k = await served(`chrome-extension://abcdef, http://allowed.example:${pagePort}`);
    expect(k.logged.join('\n')).toContain(
      `KIT_ORIGINS: pages of chrome-extension://abcdef, http://allowed.example:${pagePort} may call this service`,
    );
    expect(await postFromPage(`http://allowed.example:${pagePort}/`, k.port)).toEqual({
      status: 200,
      done: true,
    });
    expect(k.ran).toEqual([JSON.stringify({ from: `allowed.example:${pagePort}` })]);
    const other = await postFromPage(`http://attacker.example:${pagePort}/`, k.port);
    expect(other.status).toBe(0);
    expect(k.ran).toHaveLength(1);
  });
});

/** A raw request to the forwarder with these headers: the status. */
const statusOf = (port: number, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/work',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });

describe('KIT_ORIGINS=*', () => {
  it("lets every site's pages in, but not a rebound Host", async () => {
    const k = await served('*');
    expect(k.logged.join('\n')).toContain('KIT_ORIGINS=*: pages of every site may call this service');
    expect(await statusOf(k.port, { origin: 'https://any.example', host: `127.0.0.1:${k.port}` })).toBe(200);
    expect(await statusOf(k.port, { origin: 'https://any.example', host: `any.example:${k.port}` })).toBe(
      403,
    );
  });

  it('takes only exact origins: a pattern is left out and said', async () => {
    const k = await served('https://*.example.com,http://ok.example');
    expect(k.logged.join('\n')).toContain(
      'KIT_ORIGINS: not exact origins, left out: "https://*.example.com"',
    );
    expect(await statusOf(k.port, { origin: 'https://a.example.com', host: 'localhost' })).toBe(403);
    expect(await statusOf(k.port, { origin: 'http://ok.example', host: 'localhost' })).toBe(200);
  });
});
