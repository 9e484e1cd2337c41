/**
 * QA25's left item: the console's log view (3 Services, l) cut each log line at the screen's width:
 * on a 40-column serial line a line showed its timestamp and a few characters, the rest (the error)
 * out of reach. Now a log line wraps onto as many rows as it needs, by terminal columns (a CJK
 * character or an emoji takes two and is never split, a family emoji stays whole), and what the
 * container wrote stays escaped (an ESC is shown as `\x1b`, never sent to the terminal).
 *
 * dist/blueprint in tmux at 40×12 and 120×40, the real engine (Podman): the hello image with a file
 * of its own, which its `read` mode prints as one log line.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModuleImage } from '../../src/core/services/images.js';
import { imageTagged } from '../helpers/test-images.js';
import {
  cli,
  engineUp,
  helloCopy,
  helloSource,
  makeBox,
  type TestBox,
  uniqueName,
} from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

// One line (hello's read prints up to its first newline, 255 bytes at most, no quote or backslash).
const WORDS = ' alpha beta gamma delta epsilon zeta eta theta iota kappa lambda END';
const LINE = `START 日本語のログ行 👨‍👩‍👧 🇯🇵 \x1b[31mred${WORDS}`;
const squeeze = (s: string) => s.replace(/\s+/g, '');

describe.skipIf(!engineUp)('the log view wraps long lines (dist/blueprint in tmux, real Podman)', () => {
  let box: TestBox | undefined;
  const name = uniqueName('bpt-logwrap');
  const panes: Pane[] = [];

  beforeAll(async () => {
    requireExe();
    expect(Buffer.byteLength(LINE)).toBeLessThan(200);
    const src = tempDir('bp-logwrap-src-');
    mkdirSync(src, { recursive: true });
    helloCopy(src);
    writeFileSync(path.join(src, 'long.txt'), `${LINE}\n`);
    await appendFile(path.join(src, 'Containerfile'), 'COPY long.txt /long.txt\n');
    const archive = path.join(tempDir('bp-logwrap-build-'), 'image.tar');
    const tag = `localhost/bp-svc-test/${name}:1`;
    imageTagged(tag);
    const id = await buildModuleImage(src, tag, archive);
    const manifest = JSON.parse(readFileSync(path.join(helloSource, 'manifest.json'), 'utf8'));
    manifest.service.image = { archive: 'image.tar', id };
    box = await makeBox({ dir: src, archive, id, manifest });
    await box.install(name, { command: ['read', '/long.txt'], health: undefined });
    const started = await cli(box.root, ['service', 'start', name]);
    expect(started.code, started.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    for (const p of panes) p.kill();
    await box?.cleanup();
  });

  for (const [width, height] of [
    [40, 12],
    [120, 40],
  ] as const)
    it(`at ${width}×${height}: the whole line, wide characters whole, the escape shown as text`, async () => {
      const p = new Pane([exe, '--root', box!.root], { width, height });
      panes.push(p);
      await p.waitFor('Host');
      p.keys('3');
      // Its container has read the file and ended: the log is whole.
      await p.waitFor(/Services \(1\)[\s\S]*exited/);
      p.keys('l');
      await p.waitFor('Logs of');
      const screen = await p.waitFor(/Logs of[\s\S]*END/);
      await keepScreen(`logs-wrap-${width}`, screen);
      // The view's keys, said only in its title, whole at 40 columns too.
      expect(screen.replace(/\s+/g, ' ')).toContain('(following; j/k, PgUp/PgDn, g/G scroll; Esc back)');
      const rows = screen.split('\n');
      // Every row of the text (in the body, right of its one column of margin) holds its columns.
      const body = rows.slice(rows.findIndex((r) => r.includes('Esc back)')) + 1);
      const text = squeeze(body.join(''));
      // The ZWJ family as its parts (escaped-sources emojiParts: tmux 3.3a loses a joined one's end).
      expect(text).toContain(
        squeeze(`"read":"START 日本語のログ行 👨👩👧 🇯🇵 \\x1b[31mred${WORDS}","ok":true`),
      );
      // Wrapped, not cut: no row ends in the ellipsis a cut line gets.
      expect(body.join('\n')).not.toMatch(/…\s*$/m);
      if (width === 40) expect(body.filter((r) => /\S/.test(r)).length).toBeGreaterThan(3);
      // The container's ESC reached the terminal as text only: nothing painted red.
      expect(p.screen(true)).not.toContain('\x1b[31m');
      p.keys('q');
      await p.waitFor(/Services \(\d+\)/);
    });
});
