import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { loadAnswersFile, loadSpecFile } from '../../src/core/setup/index.js';
import { tempRoot } from '../setup/helpers.js';

/**
 * Headless setup reads its answers from a BLUEPRINT stick (untrusted bytes), and its stderr goes
 * as it comes to the journal and /dev/console: the serial line, a terminal (blueprint-provision
 * .service, StandardError=journal+console). `blueprint apply -f` prints on the admin's terminal.
 * The yaml library reports some things (an unresolved tag, an unknown directive) not as errors but
 * as warnings, through process.emitWarning, which Node prints to stderr as they are: the tag's
 * text and the answers' whole line, bytes from the file, escape sequences included. Errors were
 * already escaped by the CLI's error printer; warnings are not errors, and reached the terminal
 * raw (the CLI printed `Unresolved tag: tag:^[[31m:x` and the line `hostname: !x^[[31mRED box`).
 */
let work: string;
let cleanup: () => Promise<void>;
let said: string[];
beforeEach(async () => {
  ({ root: work, cleanup } = await tempRoot('answers-terminal'));
  said = [];
  // Whatever would reach stderr: Node's warning printer and direct writes.
  vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
    said.push(typeof w === 'string' ? w : `${w.name}: ${w.message}`);
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    said.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void said.push(a.join(' ')));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup();
});

// ESC ] 0 ; … BEL sets the terminal's title; ESC c resets it (clears what setup said before);
// ESC [ 2 J clears the screen. Each on a line the yaml library warns about.
const hostile = [
  // An unresolved local tag: the warning quotes the line.
  'hostname: !x\x1bc\x1b[2J box',
  // A %TAG prefix carrying the escape: the warning names the resolved tag.
  '%TAG !e! tag:\x1b]0;PWNED\x07:\n---\nhostname: !e!x box',
  // An unknown directive, its name an escape sequence.
  '%FOO\x1bc bar\n---\nhostname: box',
];

const controls = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('answers and specs from untrusted disks: nothing raw reaches a terminal', () => {
  for (const [i, text] of hostile.entries()) {
    it(`answers case ${i}: refused (typed), and no control character is printed`, async () => {
      const file = path.join(work, 'answers.yaml');
      await writeFile(file, `${text}\n`);
      await expect(loadAnswersFile(file)).rejects.toBeInstanceOf(UsageError);
      await new Promise((r) => setImmediate(r));
      for (const s of said) expect(s, JSON.stringify(s)).not.toMatch(controls);
    });
    it(`spec case ${i} (blueprint apply -f): no control character is printed`, async () => {
      const file = path.join(work, 'appliance.yaml');
      await writeFile(file, `${text}\n`);
      await loadSpecFile(file).catch(() => undefined);
      await new Promise((r) => setImmediate(r));
      for (const s of said) expect(s, JSON.stringify(s)).not.toMatch(controls);
    });
  }
});
