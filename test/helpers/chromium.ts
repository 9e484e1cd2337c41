import type { Browser } from 'puppeteer-core';

/** Debian's Chromium, which the browser tests drive with puppeteer-core (skipped where it is not). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium, headless, reaching nothing on its own (no updates, sync or background fetches),
 * its profile in `userDataDir`; `extra` flags after those (a test's `--host-resolver-rules`).
 */
export async function launchChromium(userDataDir: string, ...extra: string[]): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${userDataDir}`,
      ...extra,
    ],
  });
}
