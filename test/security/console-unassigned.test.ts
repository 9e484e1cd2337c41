/**
 * REVIEW16's sweep (observed, left to CONSOLE11): unassigned code points (General_Category Cn) that
 * tmux 3.3a draws as nothing, passed raw by the escape: a user ID `Al<U+0378>ice` showed as `Alice`,
 * and a run of them (planes 4–13 are all unassigned) can carry any bytes unseen. They are shown as
 * `\u{378}` text now, as the format characters. What is unassigned is judged by Node's ICU (its
 * Unicode version: docs/tui.md), with a class built on the first text that needs it: never at start
 * (test/perf/start-path). dist/blueprint in tmux, a real OpenPGP key trusted.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { escapeJson, escapeLine, escapeText } from '../../src/present/escape.js';
import { keysScreenWithUserId } from '../helpers/keys-screen.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';

const t = rootsPerTest('console-unassigned');
beforeEach(() => requireExe());

/** Unassigned in every Unicode version so far: one in Greek, planes 4 and 14, noncharacters. */
const UNASSIGNED = ['\u0378', '\u2065', '\u{40000}', '\u{e0080}', '\ufdd0', '\uffff', '\u{10ffff}'];

describe('unassigned code points in hostile text', () => {
  it("a key's user ID with unassigned code points shows them on the Keys screen", async () => {
    const s = await keysScreenWithUserId(t, 'Al\u0378ice Re\u{40000}po');
    expect(s).toContain('Al\\u{378}ice Re\\u{40000}po');
  }, 60_000);

  it('are escaped in lines, text blocks and JSON; assigned letters beside them are kept', () => {
    for (const c of UNASSIGNED) {
      const cp = c.codePointAt(0)!.toString(16);
      expect(escapeLine(`é${c}ж`)).toBe(`é\\u{${cp}}ж`);
      expect(escapeText(`a${c}\nb`)).toBe(`a\\u{${cp}}\nb`);
      const doc = JSON.stringify({ s: `a${c}` });
      const units = c
        .split('')
        .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join('');
      expect(escapeJson(doc)).toBe(`{"s":"a${units}"}`);
    }
    // Assigned text of many scripts stays as it is, an emoji with its selector and a flag too
    // (🫨, Unicode 15, is escaped since: tmux's Unicode is 14, console-newer-unicode).
    const plain =
      'Ελλάδα Москва 東京 서울 ไทย العربية ❤️ 🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} 🫠';
    expect(escapeLine(plain)).toBe(plain);
    expect(escapeText(`${plain}\n`)).toBe(`${plain}\n`);
  });
});
