/**
 * Where long values land on a dashboard page in Chromium (test/web/browser-long-values and
 * browser-long-values-admin, at a phone's width): measured in the page, inside its `main`.
 */
import type { Page } from 'puppeteer-core';

/**
 * In-page JavaScript (an expression): the elements in `main` whose right edge is past the window, as
 * `TAG.class RIGHT`, the first 8: what a failing width check names.
 */
export const WIDE_ELEMENTS = `[...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((e) => e.tagName + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right))
      .slice(0, 8)`;

export type PageLayout = {
  /** The document's width. */
  page: number;
  /** The window's. */
  window: number;
  found: { value: string; whole: boolean; right: number }[];
  /** WIDE_ELEMENTS. */
  wide: string[];
};

/**
 * `page` at `url`: the document's width, the window's, and for each value the right edge of the
 * text it is in (the text node's rects: a cell that scrolls or a card it runs out of shows less)
 * and whether it is in the page's text whole (wrapped lines joined); and the elements past the window.
 */
export async function layoutOf(page: Page, url: string, values: string[]): Promise<PageLayout> {
  await page.goto(url);
  return (await page.evaluate(`(() => {
    const values = ${JSON.stringify(values)};
    const flat = (s) => s.replace(/\\s+/g, '');
    const text = flat(document.querySelector('main').innerText);
    const found = values.map((v) => {
      const key = v.slice(0, 16);
      const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
      let right = 0;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.textContent.includes(key)) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) right = Math.max(right, r.right);
      }
      return { value: v, whole: text.includes(flat(v)), right };
    });
    const wide = ${WIDE_ELEMENTS};
    return { page: document.documentElement.scrollWidth, window: window.innerWidth, found, wide };
  })()`)) as PageLayout;
}
