/**
 * CONSOLE6's walk (item 4): names in CJK and emoji, carrying escape sequences and bidi controls,
 * from each source a test can feed: a service's name (and who uses it), the host's name, a key's
 * user ID, and a destination in the outbound history (the real core source, from its file). The
 * Dashboard (scrolled to its end), Services, Keys and a key's view, and Outbound at 40x12 and
 * 80x24: no control character reaches the terminal, every frame fits the screen by columns, no
 * surrogate pair is split, and the console's own footer keeps its row.
 */
import { describe, expect, it } from 'vitest';
import { escapedSources } from '../../src/tui/escaped-sources.js';
import type { KeyRow, ServiceRow } from '../../src/tui/sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { writeHistory } from '../helpers/outbound-history.js';
import { boxPerTest } from '../helpers/roots.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('ink-hostile-wide');

const HOST = 'ホスト名\x1b]0;owned\x07\u2066サーバー\u2069🚀\x1b[2J';
const SERVICE = '検索\x1b[31m\u202eサービス🇯🇵';
const USER = '助手\u200f一号\x9b2J';
const SIGNER = '鍵の署名者 👨‍👩‍👧‍👦 <ops@例え.jp>\x1b[1A\u202eTRUSTED';
const WHO = 'モジュール\x1b[2J';
const ADDRESS = '192.0.2.7\u202e\x1b]0;x\x07';

const services: ServiceRow[] = [
  { name: SERVICE, state: 'running', sandboxed: true, detail: '0.1.0', usedBy: [USER] },
  { name: 'web', state: 'exited\x1b[2K', sandboxed: false, detail: '' },
];
const keys: KeyRow[] = [
  {
    fingerprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
    name: SIGNER,
    repositories: ['main\u202e'],
    revoked: false,
  },
];

/** What a terminal would act on: C0 (not the frame's newlines), DEL, C1, bidi controls. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function sane(frames: string[], columns: number, rows: number) {
  for (const f of frames) {
    expect(f, JSON.stringify(f)).not.toMatch(RAW);
    expect(f).not.toMatch(LONE_SURROGATE);
    const lines = f.split('\n');
    expect(lines.length, f).toBeLessThanOrEqual(rows);
    for (const l of lines) expect(textWidth(l), f).toBeLessThanOrEqual(columns);
  }
}

/** The screen scrolled with j until nothing more is below, each frame on the way noted. */
async function scrollToEnd(app: ReturnType<typeof renderApp>, note: () => void) {
  for (let i = 0; i < 40 && /↓ \d+ more/.test(app.lastFrame() ?? ''); i++) {
    await type(app, 'j');
    await new Promise((r) => setTimeout(r, 60));
    note();
  }
}

describe('hostile, wide names on every screen', () => {
  for (const [columns, rows] of [
    [40, 12],
    [80, 24],
  ] as const)
    it(`at ${columns}x${rows}`, async () => {
      await writeHistory(box.root, [{ who: WHO, address: ADDRESS, verdict: 'blocked' }]);
      const base = sourcesFor(box.root);
      // As the console's sources are: coreSources escapes its own; these are escaped the same way.
      const sources = escapedSources(
        sourcesFor(box.root, {
          host: async () => ({ ...(await base.host()), hostname: HOST }),
          services: async () => ({ available: true, value: services }),
          keys: async () => ({ available: true, value: keys }),
          updates: async () => ({ available: true, value: 0 }),
        }),
      );
      const app = renderApp(sources);
      consoleSize(app, columns, rows);
      const from = app.frames.length;
      await frameWith(app, 'ホスト名', 400);
      const seen: string[] = [];
      const note = () => seen.push(app.lastFrame() ?? '');
      note();
      await scrollToEnd(app, note);
      await type(app, '3');
      await frameWith(app, /Services \(2\)/);
      note();
      await type(app, '4');
      await frameWith(app, /Trusted signing keys \(1\)/);
      note();
      await type(app, '\r');
      await frameWith(app, 'Signer:');
      note();
      await type(app, 'q');
      await frameWith(app, /Trusted signing keys \(1\)/);
      await type(app, '6');
      await frameWith(app, /Outbound \(1\)/);
      note();
      // The list cuts its cells (…); Enter shows the destination whole.
      await type(app, '\r');
      await frameWith(app, /192\.0\.2\.7/);
      await new Promise((r) => setTimeout(r, 200));
      note();
      const text = seen.join('\n').replace(/\s+/g, '');
      // Each shown, its controls as visible text.
      for (const shown of [
        'ホスト名\\x1b]0;owned\\x07\\u{2066}サーバー',
        '検索\\x1b[31m\\u{202e}サービス🇯🇵',
        '助手\\u{200f}一号\\x9b2J',
        // The ZWJ family as its parts (escaped-sources emojiParts: tmux 3.3a lost its last one).
        '鍵の署名者 👨👩👧👦 <ops@例え.jp>\\x1b[1A\\u{202e}TRUSTED',
        'Who: モジュール\\x1b[2J',
        '192.0.2.7\\u{202e}\\x1b]0;x\\x07:443',
      ])
        expect(text, seen.join('\n')).toContain(shown.replace(/\s+/g, ''));

      sane(app.frames.slice(from + 1), columns, rows);
      for (const f of seen) expect(f.split('\n').at(-1), f).toMatch(/back|quit/);
      app.unmount();
    }, 90_000);
});
