/**
 * The console part's string-width (scripts/build-console-part.mjs, stringWidthOnFirstCall): the
 * package's module with its body run at the first call, so that loading the console compiles no
 * `\p{RGI_Emoji}` expression and starts no ICU segmenter (issue 20, TUI first paint). It must
 * measure as the package does, and run nothing of its body before that call.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import stringWidth from 'string-width';
import { afterAll, expect, it, vi } from 'vitest';
// @ts-expect-error: a build script without types
import { stringWidthOnFirstCall } from '../../scripts/build-console-part.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, 'node_modules/.cache/bp-test-string-width');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('measures as string-width does, and starts nothing until asked', async () => {
  const file = path.join(root, 'node_modules/string-width/index.js');
  const text = stringWidthOnFirstCall(readFileSync(file, 'utf8'), file) as string;
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `index-${process.pid}.mjs`);
  writeFileSync(out, text);
  const made = vi.spyOn(Intl, 'Segmenter');
  const lazy = (await import(pathToFileURL(out).href)).default as typeof stringWidth;
  expect(made).not.toHaveBeenCalled();
  const samples = [
    '',
    'abc',
    '\x1b[1mbold\x1b[22m',
    '─ ● ✓',
    '古池や',
    'e\u0301',
    '👍🏽',
    '🇫🇷',
    '한국어',
    'a\tb',
    '\u200b',
  ];
  for (const s of samples) {
    expect(lazy(s)).toBe(stringWidth(s));
    expect(lazy(s, { ambiguousIsNarrow: false })).toBe(stringWidth(s, { ambiguousIsNarrow: false }));
    expect(lazy(s, { countAnsiEscapeCodes: true })).toBe(stringWidth(s, { countAnsiEscapeCodes: true }));
  }
  expect(made).toHaveBeenCalledTimes(1);
});

it('refuses a string-width whose text it does not know', () => {
  expect(() =>
    stringWidthOnFirstCall('export const x = 1;\nexport default function stringWidth(s) {}', 'x.js'),
  ).toThrow(/not one/);
});
