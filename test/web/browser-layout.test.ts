/**
 * What the dashboard's text looks like laid out in Debian's Chromium, where the CLI's terminal
 * layout (padding and indenting with spaces) does not carry over by itself:
 *
 * - The install plan: planLines' padded rows were put in <li>s, where the browser collapses the
 *   padding ('lib 2.0.0 -> 1.0.0 (downgrade) main 286 B' over 'application 1.0.0 main 1.2 KiB',
 *   no column lined up). Each column must start at the same x on every row.
 * - A job's multi-line error: its further lines started at the log's left margin, where a line of
 *   it ('error: ...') passes for one of the dashboard's own; the CLI and the console indent them
 *   (errorBlock). Each further line must start right of the first.
 *
 * A real box (a signed repository, no Podman) behind the dashboard's real server and pages; the
 * browser reaches its unix socket through a relay on 127.0.0.1 that the test makes (as `ssh -L`
 * does for an admin), the dashboard itself listens on nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { appOps } from '../../src/web/app-ops.js';
import { confirmInstallBody } from '../../src/web/pages.js';
import { signedRepo, trustingRoot } from '../helpers/pkg.js';
import { dashboardInBrowser, type InBrowser, runnable } from './browser-relay.js';
import { fakeOps } from './fake-ops.js';

/** An error whose message and hint run over several lines, one of them looking like the page's own. */
const MULTILINE = Object.assign(
  new Error('the index could not be read:\nline two <b>of it</b>\nerror: not ours'),
  {
    hint: 'run bpkg update\nthen try again',
  },
);

let b: InBrowser;
let base: string;
let page: InBrowser['page'];

beforeAll(async () => {
  if (!runnable) return;
  // lib 2.0.0 installed; application needs lib below 2: its plan has two rows whose names differ
  // in length (a downgrade and its dependency note on one).
  const { key, repo } = await signedRepo([
    { name: 'lib', version: '1.0.0' },
    { name: 'lib', version: '2.0.0' },
    { name: 'application', version: '1.0.0', depends: ['lib <2.0.0'] },
  ]);
  const root = await trustingRoot(key, repo);
  await openBox(root, { yes: true }).packages.install(['lib']);
  const real = appOps(root);
  b = await dashboardInBrowser({
    ...real,
    // 'broken' fails after its page has started to stream, with MULTILINE.
    signerOf: (name) =>
      name === 'broken'
        ? Promise.resolve({
            version: '1.0.0',
            origin: 'main',
            fingerprint: 'ABCD',
            signer: 'test',
            plan: 'p',
          })
        : real.signerOf(name),
    // A service whose page or action fails with MULTILINE: the notice at the top of a page.
    service: (name) => (name === 'broken' ? Promise.reject(MULTILINE) : real.service(name)),
    serviceAction: (action, name) =>
      name === 'broken' ? Promise.reject(MULTILINE) : real.serviceAction(action, name),
    followLogs: (name, onLine, signal) =>
      name === 'broken' ? Promise.reject(MULTILINE) : real.followLogs(name, onLine, signal),
    packageAction: async (action, name, progress, signal, approvals, plan) => {
      if (name !== 'broken') return real.packageAction(action, name, progress, signal, approvals, plan);
      progress('fetching broken');
      await new Promise((r) => setTimeout(r, 1500));
      throw MULTILINE;
    },
  });
  ({ base, page } = b);
}, 120_000);

afterAll(async () => {
  await b?.close();
});

/**
 * Where, on screen, each group of `re` starts: `re` is matched against the text of `sel` (its text
 * nodes in order, however the page splits them into elements), and each group's first character
 * is measured. Evaluated in the page as a string (no DOM types here). null when `re` does not match.
 */
const LEFTS = `(sel, source, side = 'left') => {
  const nodes = [];
  let text = '';
  const walk = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode())
    if (n.data) { nodes.push([n, text.length]); text += n.data; }
  const m = new RegExp(source, 'd').exec(text);
  if (!m) return null;
  return m.indices.slice(1).map(([start]) => {
    let i = nodes.length - 1;
    while (nodes[i][1] > start) i--;
    const r = document.createRange();
    r.setStart(nodes[i][0], start - nodes[i][1]);
    r.setEnd(nodes[i][0], start - nodes[i][1] + 1);
    return r.getBoundingClientRect()[side];
  });
}`;
const lefts = (sel: string, re: RegExp, side: 'left' | 'top' = 'left') =>
  page.evaluate(
    `(${LEFTS})(${JSON.stringify(sel)}, ${JSON.stringify(re.source)}, ${JSON.stringify(side)})`,
  ) as Promise<number[] | null>;

const SIZE = String.raw`\d[\d.]* (?:B|KiB|MiB)`;

describe.skipIf(!runnable)('the dashboard in Chromium', () => {
  it("lines up the install plan's columns", async () => {
    await page.goto(`${base}/packages/application/install`);
    const text = await page.evaluate(`document.querySelector('main').innerText`);
    const lib = await lefts(
      'main',
      new RegExp(String.raw`(lib)\s*(2\.0\.0 -> 1\.0\.0 \(downgrade\))\s*(main)\s*(${SIZE})`),
    );
    const app = await lefts('main', new RegExp(String.raw`(application)\s*(1\.0\.0)\s*(main)\s*(${SIZE})`));
    expect(lib, String(text)).not.toBeNull();
    expect(app, String(text)).not.toBeNull();
    // Every column starts where it starts on the other row (a pixel of rounding at most).
    for (let col = 0; col < 4; col++)
      expect(
        Math.abs(lib![col]! - app![col]!),
        `column ${col + 1}: ${lib} vs ${app}\n${text}`,
      ).toBeLessThanOrEqual(1);
    // And the columns are apart, left to right.
    for (let col = 1; col < 4; col++) expect(lib![col]!).toBeGreaterThan(lib![col - 1]! + 10);
  });

  it("indents a job's multi-line error under its first line, as text", async () => {
    await page.goto(`${base}/packages/broken/install`);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    expect(page.url()).toContain('/jobs/');
    await page.waitForFunction(`document.querySelector('[data-when-done]')?.hidden === false`, {
      timeout: 20_000,
    });
    const progress = '[data-testid=progress]';
    const check = async (how: string) => {
      const text = String(await page.evaluate(`document.querySelector('${progress}').innerText`));
      const at = await lefts(
        progress,
        /(error): the index could not be read:\n\s*(line two <b>of it<\/b>)\n\s*(error: not ours)[\s\S]*?\n\s*(then try again)/,
      );
      expect(at, `${how}:\n${text}`).not.toBeNull();
      const [first, ...further] = at!;
      for (const x of further) expect(x, `${how}: ${at}\n${text}`).toBeGreaterThan(first! + 10);
      // Shown as text: the message's markup made no element.
      expect(await page.evaluate(`document.querySelectorAll('${progress} b').length`)).toBe(0);
    };
    await check('streamed');
    await page.reload();
    await check('the finished job page');
  });

  it("shows an error notice's lines as the job log does: each kept, the hint on its own line", async () => {
    const notice = 'main [role=status]';
    // 'Error' (message, three lines), then the hint's two: each line's first word.
    const re =
      /(Error): the index could not be read:\s*(line two <b>of it<\/b>)\s*(error: not ours)\s*(hint): run bpkg update\s*(then try again)/;
    const check = async (how: string) => {
      const text = String(await page.evaluate(`document.querySelector('${notice}')?.innerText`));
      const [x, y] = [await lefts(notice, re), await lefts(notice, re, 'top')];
      expect(x, `${how}:\n${text}`).not.toBeNull();
      // Each on a line of its own, in order.
      for (let i = 1; i < y!.length; i++)
        expect(y![i]!, `${how}: ${y}\n${text}`).toBeGreaterThan(y![i - 1]! + 5);
      // The hint at the margin, as 'Error'; the further lines of each indented.
      expect(Math.abs(x![3]! - x![0]!), `${how}: ${x}\n${text}`).toBeLessThanOrEqual(1);
      for (const i of [1, 2, 4]) expect(x![i]!, `${how}: ${x}\n${text}`).toBeGreaterThan(x![0]! + 4);
      expect(text).not.toContain('(run bpkg update');
      expect(await page.evaluate(`document.querySelectorAll('${notice} b').length`)).toBe(0);
    };
    // A page that failed: the 'Error' page.
    await page.goto(`${base}/services/broken`);
    await check('the Error page');
    // A change that failed: its POST sends the browser back with the error (?notice=ID, its text
    // kept by the server).
    await page.goto(`${base}/services`);
    await Promise.all([
      page.waitForNavigation(),
      page.evaluate(`(() => {
        const f = document.createElement('form');
        f.method = 'post';
        f.action = '/services/broken/stop';
        f.append(document.querySelector('input[name=_csrf]').cloneNode());
        document.body.append(f);
        f.submit();
      })()`),
    ]);
    expect(page.url()).toMatch(/\?notice=[A-Za-z0-9_-]{22}$/);
    await check('the notice after a failed change');
  });

  it("sends a service log's multi-line error with its further lines indented", async () => {
    const body = String(await page.evaluate(`fetch('/services/broken/logs').then((r) => r.text())`));
    // One space after `data:` is the field's own (the browser drops it); two more are the indent.
    expect(body).toContain('data: error: the index could not be read:\n\ndata:   line two <b>of it</b>\n\n');
    expect(body).toContain(
      'data:   error: not ours\n\ndata: hint: run bpkg update\n\ndata:   then try again\n\n',
    );
  });
});

it("keeps the plan's cells text: a hostile one makes no markup", () => {
  const { hostile } = fakeOps();
  const page = String(
    confirmInstallBody(
      'x',
      {
        version: '1',
        origin: 'main',
        fingerprint: 'AB',
        signer: 's',
        plan: 'p',
        planRows: [[hostile, '1', 'main', '1 B']],
      },
      'csrf',
    ),
  );
  expect(page).toContain('<td>&lt;img src=x onerror=alert(1)&gt;\\x1b]0;owned\\x07&quot;&#39;</td>');
  expect(page).not.toContain('<img');
});
