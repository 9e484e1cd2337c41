/**
 * REVIEW11: `bpkg key add FILE` on a terminal shows the key and asks "Trust this key to sign packages
 * for this box?". What identifies the key is its fingerprint; its user IDs are whatever its holder
 * wrote, certified by the key itself (KEYS5 left out only those it did not certify). The fingerprint
 * was printed first, then every user ID, then the question: a key of many user IDs (or one long
 * one) scrolls the fingerprint off a terminal, and the admin answers seeing only names it chose
 * ("Debian Archive Automatic Signing Key" last, above the question). Within the 24 lines a console
 * shows above the question, the fingerprint must be there. Seen failing on 520b105e (both cases);
 * QA26's 98feb21e puts the fingerprint in the question itself ("Trust key FPR to sign packages?").
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { showFingerprint } from '../../src/present/fingerprint.js';
import { boxPerTest } from '../helpers/roots.js';
import { FORTY_NAMES_DEBIAN_LAST, ONE_LONG_NAME, selfNamedKey } from '../helpers/self-named-key.js';

const box = boxPerTest('key-add-fpr-view');
const BLUEPRINT = path.resolve('dist/blueprint');

/** `bpkg key add FILE` on a terminal (script(1) gives it one), answered "n": what the terminal showed. */
function keyAddOnTerminal(file: string): string {
  const command = `${BLUEPRINT} --root ${box.root} pkg key add ${file}`;
  const run = spawnSync('script', ['-qec', command, '/dev/null'], {
    input: 'n\n',
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '80', LINES: '24' },
  });
  return run.stdout;
}

/** The 24 lines a terminal shows with the question on its last (wrapped at 80 columns). */
function screenAtQuestion(out: string): string {
  const lines = out.replace(/\r/g, '').split('\n');
  const at = lines.findIndex((l) => /Trust (this )?key/.test(l));
  expect(at, out.slice(-2000)).toBeGreaterThanOrEqual(0);
  const rows = lines.slice(0, at + 1).flatMap((l) => l.match(/.{1,80}/g) ?? ['']);
  return rows.slice(-24).join('\n');
}

const spaced = (fpr: string) => showFingerprint(fpr).replace(/\s/g, '');
const holds = (screen: string, fpr: string) => screen.replace(/\s/g, '').includes(spaced(fpr));

describe('bpkg key add: the fingerprint is in view when the trust question is asked', () => {
  it('a key of 40 user IDs it certified itself, Debian’s name last', async () => {
    const k = await selfNamedKey(FORTY_NAMES_DEBIAN_LAST, box.at('publisher.asc'));
    const screen = screenAtQuestion(keyAddOnTerminal(k.file));
    expect(holds(screen, k.fingerprint), screen).toBe(true);
  });

  it('a key of one 4,000-character user ID', async () => {
    const k = await selfNamedKey(ONE_LONG_NAME, box.at('publisher.asc'));
    const screen = screenAtQuestion(keyAddOnTerminal(k.file));
    expect(holds(screen, k.fingerprint), screen).toBe(true);
  });
});
