/**
 * CONSOLE6: the Dashboard wrapped its rows by characters (CONSOLE5's wrapLines), not by terminal
 * columns: a host, GPU or service name in CJK or emoji took twice the columns it was given, and Ink
 * cut it with `…`; a service's name was padded by characters, so its state and badge did not line
 * up. Each row is now wrapped by display width, at spaces where it can, never inside a grapheme (a
 * surrogate pair, a family emoji, a letter and its combining accent).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRow } from '../../src/tui/sources.js';
import { textWidth } from '../../src/tui/text-width.js';
import { tokenRoot } from '../helpers/client-token-box.js';
import { consoleSize, frameWith, renderApp, sourcesFor, type } from './helpers.js';

let root: string;
beforeAll(() => {
  root = tokenRoot('bp-console6-wide-');
});

const HOST = '計算機サーバー東京第一データセンター.example';
const CPU_MODEL = '龍芯 3A6000 处理器 四核 2.5GHz';
const GPU = '显卡 加速器 👨‍👩‍👧‍👦 家族 🚀🚀🚀 NVIDIA H100 カード';
// 20 columns each side of the state column's pad: ten wide characters, and graphemes of 2 code points.
const SERVICE = '検索増強生成サービス';
const SERVICE2 = 'café-e\u0301e\u0301-🇯🇵🇯🇵';
const USER = '助手一号';
const SERVICES: ServiceRow[] = [
  { name: SERVICE, state: 'running', sandboxed: true, detail: '0.5.0', usedBy: [USER, '助手二号'] },
  { name: SERVICE2, state: 'exited', sandboxed: false, detail: '0.3.0' },
];

function sources() {
  const base = sourcesFor(root);
  return sourcesFor(root, {
    host: async () => {
      const h = await base.host();
      return { ...h, hostname: HOST, cpu: { ...h.cpu, model: CPU_MODEL } };
    },
    gpus: async () => ({ available: true, value: [{ name: GPU, detail: '80 GiB' }] as never }),
    services: async () => ({ available: true, value: SERVICES }),
    updates: async () => ({ available: true, value: 0 }),
    exposure: async () => ({
      listeners: [],
      socketsRead: true,
      firewall: 'blueprint',
      allowedPorts: [22, 443],
    }),
  });
}

/** Every row of the body, the screen scrolled from its top to its end (j). */
async function wholeBody(app: ReturnType<typeof renderApp>, rows: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const f = app.lastFrame() ?? '';
    seen.push(...f.split('\n').slice(1, rows - 1));
    if (!/↓ \d+ more/.test(f)) break;
    await type(app, 'j');
    await new Promise((r) => setTimeout(r, 60));
  }
  return seen;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('Dashboard: wide names wrap by columns, none is cut or split', () => {
  for (const [columns, rows] of [
    [40, 12],
    [80, 24],
  ] as const)
    it(`at ${columns}x${rows}`, async () => {
      const app = renderApp(sources());
      consoleSize(app, columns, rows);
      const from = app.frames.length;
      await frameWith(app, 'Host', 400);
      await frameWith(app, /計算/, 400);
      await frameWith(app, columns < 80 ? /↓ \d+ more/ : /Services +検/, 400);
      const body = await wholeBody(app, rows);
      const shown = body.join('\n');
      for (const l of body) {
        expect(l, shown).not.toContain('…');
        expect(l, shown).not.toMatch(LONE_SURROGATE);
        // A combining accent never starts a row (its letter left on the row before).
        expect(l.trimStart(), shown).not.toMatch(/^\p{M}/u);
      }
      const text = body.join('').replace(/\s+/g, '');
      for (const whole of [
        HOST,
        CPU_MODEL,
        GPU,
        SERVICE,
        SERVICE2,
        `usedby${USER},助手二号`,
        '[NOTSANDBOXED]',
      ])
        expect(text, shown).toContain(whole.replace(/\s+/g, ''));
      for (const f of app.frames.slice(from + 1)) {
        const lines = f.split('\n');
        expect(lines.length, f).toBeLessThanOrEqual(rows);
        for (const l of lines) expect(textWidth(l), f).toBeLessThanOrEqual(columns);
      }
      if (columns >= 80) {
        // The state column lines up under a wide name as under a narrow one.
        const at = (name: string) => {
          const line = body.find((l) => l.includes(name.slice(0, 3)))!;
          return textWidth(line.slice(0, line.search(/running|exited/)));
        };
        expect(at(SERVICE), shown).toBe(at(SERVICE2));
      }
      app.unmount();
    }, 60_000);
});
